/**
 * Any S3-compatible store (AWS S3, Cloudflare R2, MinIO) through `@aws-sdk/client-s3`.
 *
 * The sha256 travels twice: as user metadata (`x-amz-meta-sha256`, returned by head/get so reads are
 * verified) and as `ChecksumSHA256`, which lets S3, R2 and MinIO reject a body damaged in transit.
 * The SDK's newer default CRC checksums (aws-chunked trailers) are switched to "when required":
 * several S3-compatible servers do not speak them, and our own sha256 covers the same ground.
 * Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile,
 * instance role), never from the URL.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { prepareBody, readAll, verifyBuffer, verifyingStream } from './body.js';
import { isMoeError } from '../schemas/index.js';
import { errors } from './errors.js';
import { checkKey, joinKey, normalisePrefix, stripPrefix } from './keys.js';
import type {
  GetOptions,
  ListEntry,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './objectStore.js';

export interface S3StoreOptions {
  readonly bucket: string;
  readonly prefix?: string;
  /** e.g. `https://<account>.r2.cloudflarestorage.com` or `http://minio:9000`; unset = AWS */
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** anything else for the client (credentials in tests, maxAttempts, …) */
  readonly client?: Partial<S3ClientConfig>;
}

const SILENT = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  /** @example new S3ObjectStore({ bucket: 'moe', prefix: 'backups', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }) */
  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = normalisePrefix(options.prefix ?? '');
    this.url = `s3://${this.bucket}/${this.prefix}${options.endpoint ? ` (${options.endpoint})` : ''}`;
    this.s3 = new S3Client({
      region: options.region ?? (options.endpoint ? 'auto' : undefined),
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without a logger the SDK writes some warnings to console; every failure reaches the
      // caller as a coded error anyway. Pass `client.logger` (e.g. a pino child) to see them.
      logger: SILENT,
      ...options.client,
    });
  }

  async put(
    key: string,
    body: ObjectBody,
    options: PutOptions = {},
  ): Promise<ObjectInfo & { sha256: string }> {
    checkKey(key);
    const prepared = await prepareBody(key, body, options.sha256);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: joinKey(this.prefix, key),
          Body: prepared.open(),
          ContentLength: prepared.size,
          ContentType: options.contentType ?? 'application/octet-stream',
          ChecksumSHA256: Buffer.from(prepared.sha256, 'hex').toString('base64'),
          Metadata: { sha256: prepared.sha256 },
        }),
      );
      return { size: prepared.size, sha256: prepared.sha256, contentType: options.contentType };
    } catch (err) {
      throw s3Error(key, err);
    } finally {
      await prepared.dispose();
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Buffer> {
    const { stream, sha256 } = await this.open(key);
    try {
      return verifyBuffer(key, await readAll(stream), sha256, options.sha256);
    } catch (err) {
      throw s3Error(key, err);
    }
  }

  async getStream(key: string, options: GetOptions = {}): Promise<Readable> {
    const { stream, sha256 } = await this.open(key);
    return verifyingStream(key, stream, [sha256, options.sha256], (err) => s3Error(key, err));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    try {
      const out = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, key) }),
      );
      return { size: out.ContentLength ?? 0, sha256: out.Metadata?.sha256, contentType: out.ContentType };
    } catch (err) {
      const coded = s3Error(key, err);
      if (coded.code === errors.NOT_FOUND.spec.code) return undefined;
      throw coded;
    }
  }

  async *list(prefix = ''): AsyncIterable<ListEntry> {
    try {
      const pages = paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.bucket, Prefix: this.prefix === '' ? prefix : `${this.prefix}/${prefix}` },
      );
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined) yield { key: stripPrefix(this.prefix, o.Key), size: o.Size ?? 0 };
        }
      }
    } catch (err) {
      throw s3Error(prefix, err);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, key) }));
    } catch (err) {
      const coded = s3Error(key, err);
      if (coded.code !== errors.NOT_FOUND.spec.code) throw coded;
    }
  }

  /** Releases the client's sockets. */
  close(): void {
    this.s3.destroy();
  }

  private async open(key: string): Promise<{ stream: Readable; sha256: string | undefined }> {
    checkKey(key);
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, key) }),
      );
      return { stream: out.Body as Readable, sha256: out.Metadata?.sha256 };
    } catch (err) {
      throw s3Error(key, err);
    }
  }
}

/** Maps an SDK or network error to the catalogue by HTTP status and error name. */
function s3Error(key: string, err: unknown): Error & { code: string } {
  if (isMoeError(err)) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  const detail = `${key}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  if (status === 404 || e?.name === 'NoSuchKey' || e?.name === 'NotFound')
    return errors.NOT_FOUND(key, { cause: err });
  if (status === 401 || status === 403) return errors.DENIED(detail, { cause: err });
  if (e?.name === 'BadDigest' || e?.name === 'InvalidDigest') return errors.INTEGRITY(detail, { cause: err });
  return errors.UNAVAILABLE(detail, { cause: err });
}
