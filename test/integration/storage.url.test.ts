/**
 * Configuration by URL and environment: file/plain paths, gs:// and s3:// with their parameters,
 * MOE_STORAGE_PRIMARY (default under MOE_DATA_DIR) and MOE_STORAGE_MIRROR; every kind of bad URL
 * is refused with MOE_ERR_STORAGE_URL, before anything is opened and without echoing secrets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  FsObjectStore,
  GcsObjectStore,
  MirroredStore,
  openStore,
  parseStoreUrl,
  S3ObjectStore,
  storageUrlsFromEnv,
  storeFromEnv,
} from '../../storage/index.js';
import { tempDir } from '../harness/util.js';

const dir = tempDir('moe-store-url-');
afterAll(() => dir.remove());

describe('storage URLs', () => {
  it('file URLs and plain paths open the fs backend', () => {
    expect(parseStoreUrl('file:///var/lib/moe/backups')).toEqual({
      kind: 'fs',
      root: '/var/lib/moe/backups',
    });
    expect(parseStoreUrl('/srv/b')).toEqual({ kind: 'fs', root: '/srv/b' });
    expect(openStore(dir.path)).toBeInstanceOf(FsObjectStore);
  });

  it('gs and s3 URLs carry bucket, prefix and parameters', () => {
    expect(parseStoreUrl('gs://moe-backups/prod/eu/?endpoint=http://127.0.0.1:4443')).toEqual({
      kind: 'gcs',
      bucket: 'moe-backups',
      prefix: 'prod/eu',
      endpoint: 'http://127.0.0.1:4443',
    });
    expect(
      parseStoreUrl(
        's3://moe/backups?endpoint=https://acct.r2.cloudflarestorage.com&region=auto&forcePathStyle=true',
      ),
    ).toEqual({
      kind: 's3',
      bucket: 'moe',
      prefix: 'backups',
      endpoint: 'https://acct.r2.cloudflarestorage.com',
      region: 'auto',
      forcePathStyle: true,
    });
    expect(parseStoreUrl('s3://moe')).toEqual({
      kind: 's3',
      bucket: 'moe',
      prefix: '',
      forcePathStyle: false,
    });
    expect(openStore('gs://moe/p')).toBeInstanceOf(GcsObjectStore);
    expect(openStore('s3://moe/p?region=eu-west-1')).toBeInstanceOf(S3ObjectStore);
  });

  it.each([
    ['', 'empty'],
    ['ftp://host/x', "unknown scheme 'ftp:'"],
    ['gs://Bad_Bucket/x', 'not a bucket name'],
    ['gs://ab/x', 'not a bucket name'],
    ['s3://moe/a/../b', 'bad prefix'],
    ['s3://moe/x?endpont=http://h', "unknown parameter 'endpont'"],
    ['gs://moe/x?region=eu', "unknown parameter 'region'"],
    ['s3://moe/x?endpoint=localhost:9000', 'is not an http(s) URL'],
    ['s3://moe/x?forcePathStyle=yes', 'forcePathStyle must be true or false'],
    ['s3://AKIA:secret@moe/x', 'credentials do not belong in the URL'],
    ['file://server/share', 'file URLs name a local path'],
  ])('%j is MOE_ERR_STORAGE_URL (%s)', (url, says) => {
    let caught: unknown;
    try {
      parseStoreUrl(url);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'MOE_ERR_STORAGE_URL' });
    expect((caught as Error).message).toContain(says);
    expect((caught as Error).message).not.toContain('secret');
  });

  it('the environment picks the primary (default under MOE_DATA_DIR) and an optional mirror', () => {
    expect(storageUrlsFromEnv({ MOE_DATA_DIR: '/data' })).toEqual({
      primary: '/data/backups',
      mirror: undefined,
    });
    expect(storeFromEnv({ MOE_DATA_DIR: dir.path })).toBeInstanceOf(FsObjectStore);
    const both = storeFromEnv({
      MOE_STORAGE_PRIMARY: 'gs://moe/p',
      MOE_STORAGE_MIRROR: 's3://moe/p?region=auto',
    });
    expect(both).toBeInstanceOf(MirroredStore);
    (both as MirroredStore).close();
    expect(() => storageUrlsFromEnv({ MOE_STORAGE_MIRROR: 'r2://moe' })).toThrow(
      /MOE_STORAGE_MIRROR: .*unknown scheme/,
    );
  });
});
