/**
 * Object storage for workspace backups (issue 8): one {@link ObjectStore} interface, three
 * backends (fs, GCS, S3-compatible), configuration by URL, and a {@link MirroredStore} pairing a
 * primary with a mirror. This file is the folder's only entry point.
 */
export type {
  ListEntry,
  GetOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './objectStore.js';
export { errors as storageErrors } from './errors.js';
export { FsObjectStore } from './fsObjectStore.js';
export { GcsObjectStore, RESUMABLE_THRESHOLD, type GcsStoreOptions } from './gcsObjectStore.js';
export { S3ObjectStore, type S3StoreOptions } from './s3ObjectStore.js';
export { openStore, parseStoreUrl, type OpenStoreOptions, type StoreConfig } from './storageUrl.js';
export { storeFromEnv, storageUrlsFromEnv, type StorageUrls } from './storageConfig.js';
export {
  MirroredStore,
  CATCH_UP_RETRY,
  type Copy,
  type MirroredStats,
  type MirroredStoreOptions,
  type PendingCopy,
  type StorageEvent,
} from './mirroredStore.js';
export { hashTap, sha256Hex } from './body.js';
