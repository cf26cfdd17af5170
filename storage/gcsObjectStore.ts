/**
 * Google Cloud Storage through `@google-cloud/storage` (v7: v8 needs Node 22, we support Node 20).
 *
 * Credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload
 * identity on GKE). `apiEndpoint` points the SDK at another server (the wire fake in tests, an
 * emulator); the SDK then sends no credentials. The sha256 is kept as custom metadata
 * (`metadata.sha256`); the SDK's own crc32c checks the transfer both ways. Buffers up to
 * {@link RESUMABLE_THRESHOLD} go in one multipart request, larger bodies and streams use a
 * resumable upload. Reads fetch the metadata first and then download that exact generation, so
 * the hash and the bytes belong to the same write.
 */
import { Storage, type File, type StorageOptions } from '@google-cloud/storage';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMoeError } from '../schemas/index.js';
import { prepareBody, toStream, verifyBuffer, verifyingStream } from './body.js';
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

export const RESUMABLE_THRESHOLD = 8 * 1024 * 1024;

export interface GcsStoreOptions {
  readonly bucket: string;
  readonly prefix?: string;
  /** e.g. `http://127.0.0.1:4443`; unset = storage.googleapis.com */
  readonly endpoint?: string;
  /** anything else for the client (projectId, retryOptions, …) */
  readonly client?: StorageOptions;
  /** objects per list request (default 1000, the API's maximum) */
  readonly pageSize?: number;
}

export class GcsObjectStore implements ObjectStore {
  readonly url: string;
  private readonly storage: Storage;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly pageSize: number;

  /** @example new GcsObjectStore({ bucket: 'moe-backups', prefix: 'prod' }) */
  constructor(options: GcsStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = normalisePrefix(options.prefix ?? '');
    this.pageSize = options.pageSize ?? 1000;
    this.url = `gs://${this.bucket}/${this.prefix}${options.endpoint ? ` (${options.endpoint})` : ''}`;
    this.storage = new Storage({
      ...(options.endpoint ? { apiEndpoint: options.endpoint } : {}),
      // A few quick retries: a longer outage is the mirror's business (MirroredStore).
      retryOptions: { autoRetry: true, maxRetries: 2, maxRetryDelay: 2, totalTimeout: 60 },
      ...options.client,
    });
  }

  async put(
    key: string,
    body: ObjectBody,
    options: PutOptions = {},
  ): Promise<ObjectInfo & { sha256: string }> {
    const file = this.file(key);
    const prepared = await prepareBody(key, body, options.sha256);
    const metadata = {
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: { sha256: prepared.sha256 },
    };
    try {
      if (prepared.buffer && prepared.size <= RESUMABLE_THRESHOLD) {
        await file.save(prepared.buffer, { resumable: false, metadata });
      } else {
        await pipeline(toStream(prepared.open()), file.createWriteStream({ resumable: true, metadata }));
      }
      return { size: prepared.size, sha256: prepared.sha256, contentType: options.contentType };
    } catch (err) {
      throw gcsError(key, err);
    } finally {
      await prepared.dispose();
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Buffer> {
    const { file, sha256 } = await this.current(key);
    try {
      const [data] = await file.download();
      return verifyBuffer(key, data, sha256, options.sha256);
    } catch (err) {
      throw gcsError(key, err);
    }
  }

  async getStream(key: string, options: GetOptions = {}): Promise<Readable> {
    const { file, sha256 } = await this.current(key);
    return verifyingStream(key, file.createReadStream(), [sha256, options.sha256], (err) =>
      gcsError(key, err),
    );
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const [meta] = await this.file(key).getMetadata();
      return {
        size: Number(meta.size ?? 0),
        sha256: sha256Of(meta.metadata),
        contentType: meta.contentType,
      };
    } catch (err) {
      const coded = gcsError(key, err);
      if (coded.code === errors.NOT_FOUND.spec.code) return undefined;
      throw coded;
    }
  }

  async *list(prefix = ''): AsyncIterable<ListEntry> {
    const bucket = this.storage.bucket(this.bucket);
    let pageToken: string | undefined;
    try {
      do {
        const [files, next] = await bucket.getFiles({
          prefix: joinKey(this.prefix, prefix),
          autoPaginate: false,
          maxResults: this.pageSize,
          ...(pageToken ? { pageToken } : {}),
        });
        for (const f of files)
          yield { key: stripPrefix(this.prefix, f.name), size: Number(f.metadata.size ?? 0) };
        pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
      } while (pageToken);
    } catch (err) {
      throw gcsError(prefix, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.file(key).delete({ ignoreNotFound: true });
    } catch (err) {
      throw gcsError(key, err);
    }
  }

  private file(key: string, generation?: string | number): File {
    checkKey(key);
    return this.storage
      .bucket(this.bucket)
      .file(joinKey(this.prefix, key), generation === undefined ? {} : { generation: Number(generation) });
  }

  /** The current generation of `key` and its recorded sha256. */
  private async current(key: string): Promise<{ file: File; sha256: string | undefined }> {
    try {
      const [meta] = await this.file(key).getMetadata();
      return { file: this.file(key, meta.generation), sha256: sha256Of(meta.metadata) };
    } catch (err) {
      throw gcsError(key, err);
    }
  }
}

function sha256Of(custom: unknown): string | undefined {
  const v = (custom as Record<string, unknown> | undefined)?.sha256;
  return typeof v === 'string' ? v : undefined;
}

/** Maps an SDK (ApiError, code = HTTP status) or network error to the catalogue. */
function gcsError(key: string, err: unknown): Error & { code: string } {
  if (isMoeError(err)) return err;
  const e = err as { code?: unknown; message?: string } | undefined;
  const detail = `${key}: ${e?.message ?? String(err)}`;
  if (e?.code === 404) return errors.NOT_FOUND(key, { cause: err });
  if (e?.code === 401 || e?.code === 403) return errors.DENIED(detail, { cause: err });
  if (e?.code === 'CONTENT_DOWNLOAD_MISMATCH' || e?.code === 'FILE_NO_UPLOAD')
    return errors.INTEGRITY(detail, { cause: err });
  return errors.UNAVAILABLE(detail, { cause: err });
}
