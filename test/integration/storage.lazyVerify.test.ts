/**
 * A download stream checks its sha256 at its end (storage/body.ts verifyingStream): the mismatch
 * must reach the reader as a coded error however late it starts reading, never as an uncaught
 * exception. A catch-up copy opens the source stream, then awaits its target (mkdir, open) before
 * reading: a small corrupt object was fully checked in that gap, with nobody listening yet.
 */
import { utimesSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import { FsObjectStore } from '../../storage/index.js';
import { tempDir } from '../harness/util.js';

const dir = tempDir('moe-lazy-verify-');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
afterAll(() => dir.remove());

describe('verifying download streams', () => {
  it('a corrupt object read after a delay fails the read with MOE_ERR_STORAGE_INTEGRITY, and nothing is uncaught', async () => {
    const store = new FsObjectStore(join(dir.path, 'a'));
    const target = new FsObjectStore(join(dir.path, 'b'));
    await store.put('k/obj', Buffer.from('original'));
    const path = join(store.root, 'k', 'obj');
    const { atime, mtime } = statSync(path);
    writeFileSync(path, 'bitrot!!'); // same size, other bytes
    utimesSync(path, atime, mtime);

    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const late = await store.getStream('k/obj');
      await new Promise((r) => setTimeout(r, 100)); // the reader is busy elsewhere first
      await expect(readAll(late)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
      // the shape of a catch-up copy: the target awaits its own I/O before it reads the source
      const copy = await store.getStream('k/obj');
      await expect(target.put('k/obj', copy)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
      expect(await target.head('k/obj')).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
