/**
 * The fs backend (the embedded default): the shared contract, atomic writes that leave no temp
 * files, bit rot and truncation caught by the recorded sha256, folders pruned on delete.
 */
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../storage/index.js';
import { tempDir } from '../harness/util.js';
import { objectStoreContract, uniquePrefix } from './storage.kit.js';

const dir = tempDir('moe-fs-store-');
afterAll(() => dir.remove());
const store = new FsObjectStore(join(dir.path, 'backups'));

objectStoreContract('fs', () => store);

describe('FsObjectStore', () => {
  it('writes through a temp file and leaves none behind', async () => {
    const key = `${uniquePrefix()}/a/b.txt`;
    await store.put(key, Buffer.from('x'));
    expect(readdirSync(join(store.root, '.moe-tmp'))).toEqual([]);
    expect(statSync(join(store.root, ...key.split('/'))).isFile()).toBe(true);
  });

  it('a byte changed on disk under the same size is MOE_ERR_STORAGE_INTEGRITY', async () => {
    const key = `${uniquePrefix()}/rot.bin`;
    await store.put(key, Buffer.from('precious'));
    const path = join(store.root, ...key.split('/'));
    const { atime, mtime } = statSync(path);
    writeFileSync(path, Buffer.from('precioux'));
    utimesSync(path, atime, mtime);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
  });

  it('a truncated file is MOE_ERR_STORAGE_INTEGRITY', async () => {
    const key = `${uniquePrefix()}/short.bin`;
    await store.put(key, Buffer.from('0123456789'));
    writeFileSync(join(store.root, ...key.split('/')), Buffer.from('01234'));
    await expect(store.get(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
  });

  it('delete prunes the folders it emptied', async () => {
    const p = uniquePrefix();
    await store.put(`${p}/x/y/z`, Buffer.from('z'));
    await store.delete(`${p}/x/y/z`);
    expect(existsSync(join(store.root, p))).toBe(false);
  });

  it('an object written by another tool (no recorded sha256) is still served', async () => {
    const key = `${uniquePrefix()}/foreign`;
    await store.put(key, Buffer.from('seed'));
    const path = join(store.root, ...key.split('/'));
    const meta = join(store.root, '.moe-meta', `${key}.json`);
    writeFileSync(meta, 'not json');
    writeFileSync(path, 'hand-written');
    expect((await store.get(key)).toString()).toBe('hand-written');
    expect(await store.head(key)).toMatchObject({ size: 12, sha256: undefined });
  });
});
