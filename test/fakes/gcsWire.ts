/**
 * A wire-level fake of the Google Cloud Storage JSON API over node:http: the subset
 * `@google-cloud/storage` v7 speaks for simple (multipart) and resumable uploads, media downloads
 * (`alt=media`, with the `x-goog-hash` the SDK validates), object metadata, listing with
 * prefix/pageToken, and delete. No GCS emulator is available from the registries here; the real
 * SDK talks to this fake, so the request shapes, status codes and hashes are what production sees.
 *
 * Test levers: `down` answers every request with 503, `corrupt()` flips a stored byte behind the
 * SDK's back (bit rot), `requests` records method + path + uploadType for assertions.
 *
 * @example
 *   const gcs = await startGcsWire();
 *   const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'test' });
 *   await gcs.close();
 */
import { CRC32C } from '@google-cloud/storage';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  data: Buffer;
  generation: number;
  contentType: string;
  metadata: Record<string, string>;
  updated: string;
  /** the hashes recorded at upload, kept by `corrupt()`; otherwise computed from `data` */
  recorded?: { md5Hash: string; crc32c: string };
}

interface UploadSession {
  bucket: string;
  name: string;
  meta: Record<string, unknown>;
  chunks: Buffer[];
  received: number;
}

export interface GcsWire {
  /** `http://127.0.0.1:<port>`: pass as `apiEndpoint` */
  readonly endpoint: string;
  readonly requests: { method: string; path: string; uploadType?: string }[];
  /** answer every request with 503 while true */
  down: boolean;
  /** flip one byte of a stored object, keeping its recorded hashes (bit rot) */
  corrupt(bucket: string, name: string): void;
  objectNames(bucket: string): string[];
  close(): Promise<void>;
}

export async function startGcsWire(): Promise<GcsWire> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const sessions = new Map<string, UploadSession>();
  const requests: GcsWire['requests'] = [];
  let generation = 1_700_000_000_000_000;
  let endpoint = '';

  const bucketOf = (name: string) => {
    let b = buckets.get(name);
    if (!b) buckets.set(name, (b = new Map<string, StoredObject>()));
    return b;
  };

  const resource = (bucket: string, name: string, o: StoredObject) => ({
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    selfLink: `${endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: o.recorded?.md5Hash ?? createHash('md5').update(o.data).digest('base64'),
    crc32c: o.recorded?.crc32c ?? crc32cOf(o.data),
    timeCreated: o.updated,
    updated: o.updated,
    storageClass: 'STANDARD',
    metadata: o.metadata,
  });

  const store = (bucket: string, name: string, data: Buffer, meta: Record<string, unknown>) => {
    const o: StoredObject = {
      data,
      generation: ++generation,
      contentType: typeof meta.contentType === 'string' ? meta.contentType : 'application/octet-stream',
      metadata: (meta.metadata as Record<string, string> | undefined) ?? {},
      updated: new Date().toISOString(),
    };
    bucketOf(bucket).set(name, o);
    return resource(bucket, name, o);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', endpoint);
    const method = req.method ?? 'GET';
    const uploadType = url.searchParams.get('uploadType') ?? undefined;
    requests.push({ method, path: url.pathname, ...(uploadType ? { uploadType } : {}) });
    const body = await readBody(req);
    if (wire.down) return sendError(res, 503, 'backendError', 'fake is down');

    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload) {
      const bucket = upload[1]!;
      if (method === 'POST' && uploadType === 'multipart') {
        const [metaPart, mediaPart] = parseMultipart(req.headers['content-type'] ?? '', body);
        if (!metaPart || !mediaPart) return sendError(res, 400, 'invalid', 'bad multipart body');
        const meta = JSON.parse(metaPart.toString('utf8')) as Record<string, unknown>;
        const name = url.searchParams.get('name') ?? (meta.name as string);
        return sendJson(res, 200, store(bucket, name, mediaPart, meta));
      }
      if (method === 'POST' && uploadType === 'resumable') {
        const meta = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        const name = url.searchParams.get('name') ?? (meta.name as string);
        if (typeof req.headers['x-upload-content-type'] === 'string')
          meta.contentType = req.headers['x-upload-content-type'];
        const id = randomUUID();
        sessions.set(id, { bucket, name, meta, chunks: [], received: 0 });
        res.setHeader(
          'Location',
          `${endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}`,
        );
        return sendJson(res, 200, {});
      }
      if (method === 'PUT' && uploadType === 'resumable') {
        const s = sessions.get(url.searchParams.get('upload_id') ?? '');
        if (!s) return sendError(res, 404, 'notFound', 'no such upload session');
        const range = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(
          String(req.headers['content-range'] ?? ''),
        );
        if (!range) return sendError(res, 400, 'invalid', 'bad Content-Range');
        if (range[1] !== '*') {
          const start = Number(range[2]);
          if (start !== s.received) return sendError(res, 400, 'invalid', `expected offset ${s.received}`);
          s.chunks.push(body);
          s.received += body.length;
        }
        const total = range[4];
        const complete = total !== '*' ? s.received === Number(total) : range[3] === '*' && range[1] !== '*';
        if (!complete) {
          if (s.received > 0) res.setHeader('Range', `bytes=0-${s.received - 1}`);
          res.writeHead(308).end();
          return;
        }
        sessions.delete(url.searchParams.get('upload_id')!);
        return sendJson(res, 200, store(s.bucket, s.name, Buffer.concat(s.chunks), s.meta));
      }
      return sendError(res, 400, 'invalid', `unsupported upload ${method} ${uploadType}`);
    }

    const obj = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (obj) {
      const bucket = obj[1]!;
      const name = decodeURIComponent(obj[2]!);
      const o = buckets.get(bucket)?.get(name);
      const wantGen = url.searchParams.get('generation');
      if (!o || (wantGen !== null && Number(wantGen) !== o.generation))
        return sendError(res, 404, 'notFound', `No such object: ${bucket}/${name}`);
      if (method === 'DELETE') {
        buckets.get(bucket)!.delete(name);
        res.writeHead(204).end();
        return;
      }
      if (method !== 'GET') return sendError(res, 405, 'invalid', `${method} not supported`);
      if (url.searchParams.get('alt') === 'media') {
        const r = resource(bucket, name, o);
        res.writeHead(200, {
          'content-type': o.contentType,
          'content-length': String(o.data.length),
          'x-goog-hash': `crc32c=${r.crc32c},md5=${r.md5Hash}`,
          'x-goog-generation': String(o.generation),
          'x-goog-stored-content-encoding': 'identity',
          'x-goog-stored-content-length': String(o.data.length),
        });
        res.end(o.data);
        return;
      }
      return sendJson(res, 200, resource(bucket, name, o));
    }

    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (list && method === 'GET') {
      const bucket = list[1]!;
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Number(url.searchParams.get('maxResults') ?? 1000);
      const after = url.searchParams.get('pageToken');
      const from = after ? Buffer.from(after, 'base64url').toString('utf8') : '';
      const names = [...(buckets.get(bucket)?.keys() ?? [])]
        .filter((n) => n.startsWith(prefix) && n >= from)
        .sort();
      const page = names.slice(0, max);
      const next = names[max];
      return sendJson(res, 200, {
        kind: 'storage#objects',
        items: page.map((n) => resource(bucket, n, buckets.get(bucket)!.get(n)!)),
        ...(next !== undefined ? { nextPageToken: Buffer.from(next).toString('base64url') } : {}),
      });
    }
    return sendError(res, 501, 'notImplemented', `fake does not serve ${method} ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, 500, 'internalError', String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const wire: GcsWire = {
    endpoint,
    requests,
    down: false,
    corrupt(bucket, name) {
      const o = buckets.get(bucket)?.get(name);
      if (!o) throw new Error(`no object ${bucket}/${name}`);
      const { md5Hash, crc32c } = resource(bucket, name, o);
      o.recorded = { md5Hash, crc32c };
      o.data = Buffer.from(o.data);
      o.data[0] = (o.data[0] ?? 0) ^ 0xff;
    },
    objectNames: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return wire;
}

function crc32cOf(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The bodies of a `multipart/related` request, in order. */
function parseMultipart(contentType: string, body: Buffer): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // the part ends with the CRLF that precedes the next delimiter
    parts.push(part.subarray(headerEnd + 4, part.length - 2));
    at = next;
  }
  return parts;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, reason: string, message: string): void {
  sendJson(res, status, {
    error: { code: status, message, errors: [{ domain: 'global', reason, message }] },
  });
}
