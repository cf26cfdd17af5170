/**
 * Storage configuration by URL, parsed once at start-up with coded errors
 * (MOE_ERR_STORAGE_URL) that say what is wrong:
 *
 * - `file:///abs/path` or a plain path: {@link FsObjectStore} under that directory;
 * - `gs://bucket/prefix[?endpoint=http://host:port]`: {@link GcsObjectStore};
 * - `s3://bucket/prefix[?endpoint=…&forcePathStyle=true&region=…]`: {@link S3ObjectStore}.
 *
 * Credentials never go in the URL: each SDK reads its usual environment (ADC, AWS_*).
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { StorageOptions } from '@google-cloud/storage';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from './errors.js';
import { FsObjectStore } from './fsObjectStore.js';
import { GcsObjectStore } from './gcsObjectStore.js';
import { normalisePrefix } from './keys.js';
import type { ObjectStore } from './objectStore.js';
import { S3ObjectStore } from './s3ObjectStore.js';

export type StoreConfig =
  | { readonly kind: 'fs'; readonly root: string }
  | { readonly kind: 'gcs'; readonly bucket: string; readonly prefix: string; readonly endpoint?: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly prefix: string;
      readonly endpoint?: string;
      readonly region?: string;
      readonly forcePathStyle: boolean;
    };

/** Options that cannot live in a URL (test credentials, SDK tuning). */
export interface OpenStoreOptions {
  readonly s3?: Partial<S3ClientConfig>;
  readonly gcs?: StorageOptions;
}

const QUERY_KEYS: Record<'gs' | 's3', readonly string[]> = {
  gs: ['endpoint'],
  s3: ['endpoint', 'region', 'forcePathStyle'],
};

/**
 * @example
 *   parseStoreUrl('s3://moe/backups?endpoint=http://127.0.0.1:9000&forcePathStyle=true')
 *   // { kind: 's3', bucket: 'moe', prefix: 'backups', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }
 */
export function parseStoreUrl(raw: string): StoreConfig {
  const text = raw.trim();
  if (text === '') throw errors.URL('empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || (scheme.length === 1 && /^[a-z]:[\\/]/i.test(text))) {
    return { kind: 'fs', root: resolve(text) };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw errors.URL(`${redact(text)} is not a URL`, { cause: err });
  }
  if (url.username || url.password)
    throw errors.URL(`${redact(text)}: credentials do not belong in the URL (use ADC or AWS_* variables)`);
  if (scheme === 'file') {
    if (url.host !== '' && url.host !== 'localhost') throw errors.URL(`${text}: file URLs name a local path`);
    if (url.search !== '') throw errors.URL(`${text}: file URLs take no parameters`);
    const root = fileURLToPath(url);
    if (!isAbsolute(root)) throw errors.URL(`${text}: not an absolute path`);
    return { kind: 'fs', root };
  }
  if (scheme !== 'gs' && scheme !== 's3')
    throw errors.URL(`${redact(text)}: unknown scheme '${scheme}:' (file:, gs: or s3:)`);
  // URL() resolves '..' away; a prefix must say what it means.
  const rawPath = /^[a-z0-9]+:\/\/[^/?#]*([^?#]*)/i.exec(text)?.[1] ?? '';
  if (/(^|\/)\.\.?(\/|$)/.test(rawPath)) throw errors.URL(`${text}: bad prefix '${rawPath}' ('.' or '..')`);
  const bucket = url.hostname;
  if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(bucket))
    throw errors.URL(`${text}: '${bucket}' is not a bucket name (3-63 of a-z 0-9 . _ -)`);
  let prefix: string;
  try {
    prefix = normalisePrefix(decodeURIComponent(url.pathname));
  } catch (err) {
    throw errors.URL(`${text}: bad prefix '${url.pathname}'`, { cause: err });
  }
  const params = Object.fromEntries(url.searchParams);
  for (const k of Object.keys(params))
    if (!QUERY_KEYS[scheme].includes(k))
      throw errors.URL(
        `${text}: unknown parameter '${k}' (${scheme}: takes ${QUERY_KEYS[scheme].join(', ')})`,
      );
  const endpoint = params.endpoint === undefined ? undefined : checkEndpoint(text, params.endpoint);
  if (scheme === 'gs') return { kind: 'gcs', bucket, prefix, ...(endpoint ? { endpoint } : {}) };
  return {
    kind: 's3',
    bucket,
    prefix,
    ...(endpoint ? { endpoint } : {}),
    ...(params.region ? { region: params.region } : {}),
    forcePathStyle: parseBool(text, params.forcePathStyle),
  };
}

/** Parses `url` and builds its backend. */
export function openStore(url: string, options: OpenStoreOptions = {}): ObjectStore {
  const config = parseStoreUrl(url);
  switch (config.kind) {
    case 'fs':
      return new FsObjectStore(config.root);
    case 'gcs':
      return new GcsObjectStore({ ...config, ...(options.gcs ? { client: options.gcs } : {}) });
    case 's3':
      return new S3ObjectStore({ ...config, ...(options.s3 ? { client: options.s3 } : {}) });
  }
}

function checkEndpoint(text: string, endpoint: string): string {
  try {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return endpoint.replace(/\/+$/, '');
  } catch (err) {
    throw errors.URL(`${text}: endpoint '${endpoint}' is not an http(s) URL`, { cause: err });
  }
}

function parseBool(text: string, v: string | undefined): boolean {
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw errors.URL(`${text}: forcePathStyle must be true or false, not '${v}'`);
}

/** Hides anything that looks like a secret before a URL goes into an error message. */
function redact(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}
