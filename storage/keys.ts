/**
 * Object keys: '/'-separated relative paths, the same on every backend. Checked once here so a key
 * that is valid on S3 cannot escape the fs backend's directory ('..') or collide with its
 * bookkeeping folders ('.moe-tmp', '.moe-meta').
 */
import { errors } from './errors.js';

/** Top-level names the fs backend keeps for itself. */
export const RESERVED_SEGMENTS: ReadonlySet<string> = new Set(['.moe-tmp', '.moe-meta']);

/** Throws MOE_ERR_STORAGE_KEY unless `key` is a clean relative path. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw errors.KEY(JSON.stringify(key));
  if (/[\\\0]/.test(key)) throw errors.KEY(`${JSON.stringify(key)} contains '\\' or NUL`);
  const segments = key.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw errors.KEY(JSON.stringify(key));
  }
  if (RESERVED_SEGMENTS.has(segments[0]!)) throw errors.KEY(`${JSON.stringify(key)} uses a reserved name`);
  return key;
}

/** Normalises a URL prefix ('a/b/', '/a/b' → 'a/b'); '' means the bucket root. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed !== '') checkKey(trimmed);
  return trimmed;
}

/** The backend object name of `key` under `prefix`. */
export function joinKey(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}

/** The key of a backend object name under `prefix` (the inverse of {@link joinKey}). */
export function stripPrefix(prefix: string, name: string): string {
  return prefix === '' ? name : name.slice(prefix.length + 1);
}
