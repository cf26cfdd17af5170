/**
 * The storage the node is configured with: MOE_STORAGE_PRIMARY (default: the fs backend under
 * `<MOE_DATA_DIR>/backups`) and the optional MOE_STORAGE_MIRROR. With a mirror, the pair is a
 * {@link MirroredStore}. Read once at start-up; a bad URL stops the process with
 * MOE_ERR_STORAGE_URL naming the variable.
 */
import { join, resolve } from 'node:path';
import { isMoeError } from '../schemas/index.js';
import { errors } from './errors.js';
import { MirroredStore, type MirroredStoreOptions } from './mirroredStore.js';
import type { ObjectStore } from './objectStore.js';
import { openStore, parseStoreUrl, type OpenStoreOptions } from './storageUrl.js';

export interface StorageUrls {
  readonly primary: string;
  readonly mirror: string | undefined;
}

/** The configured URLs, validated. */
export function storageUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): StorageUrls {
  const dataDir = resolve(env.MOE_DATA_DIR ?? './.moe');
  const primary = env.MOE_STORAGE_PRIMARY?.trim() || join(dataDir, 'backups');
  const mirror = env.MOE_STORAGE_MIRROR?.trim() || undefined;
  check('MOE_STORAGE_PRIMARY', primary);
  if (mirror !== undefined) check('MOE_STORAGE_MIRROR', mirror);
  return { primary, mirror };
}

/** The primary alone, or primary + mirror as a {@link MirroredStore}. */
export function storeFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: OpenStoreOptions & Omit<MirroredStoreOptions, 'primary' | 'mirror'> = {},
): ObjectStore {
  const urls = storageUrlsFromEnv(env);
  const primary = openStore(urls.primary, options);
  if (urls.mirror === undefined) return primary;
  return new MirroredStore({ ...options, primary, mirror: openStore(urls.mirror, options) });
}

function check(variable: string, url: string): void {
  try {
    parseStoreUrl(url);
  } catch (err) {
    if (!isMoeError(err)) throw err;
    const detail = err.message.slice(errors.URL.spec.message.length + 2);
    throw errors.URL(`${variable}: ${detail}`, { cause: err });
  }
}
