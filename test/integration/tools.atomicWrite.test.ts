/**
 * A file tool's write is atomic: a process SIGKILLed while it replaces a file leaves the old
 * content or the new, never a truncated file. A child process rewrites one 4 MiB file in a loop
 * (alternating two contents) through the tools' `writeNoFollow`; it is killed at random moments,
 * and after each kill the file must be whole. (An in-place `O_TRUNC` write fails this: most of a
 * loop iteration is spent with the file cut short.)
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWriteTemp } from '../../workspace-node/tools/safeFs.js';
import { walk } from '../../workspace-node/tools/walk.js';
import { eventually, exited, tempDir } from '../harness/index.js';

const SAFE_FS = resolve(import.meta.dirname, '../../dist/workspace-node/tools/safeFs.js');
const SIZE = 4 << 20;
const KILLS = 6;

const dir = tempDir('moe-atomic-write-');
afterAll(() => dir.remove());

/** The child: rewrites `target` forever, printing one byte per finished write. */
const writer = `
const { writeNoFollow } = await import(process.argv[1]);
for (let i = 0; ; i++) {
  await writeNoFollow(process.argv[2], 'f.txt', Buffer.alloc(${SIZE}, i % 2 ? 'b' : 'a'));
  process.stdout.write('.');
}`;

describe('file tool writes under kill -9', () => {
  it('leave the old or the new content whole, never a truncated file', async () => {
    const target = join(dir.path, 'f.txt');
    for (let k = 0; k < KILLS; k++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer, SAFE_FS, target], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        let written = 0;
        child.stdout.on('data', (b: Buffer) => (written += b.length));
        await eventually(() => (written >= 2 ? true : undefined), { timeoutMs: 30_000, what: 'writes' });
        await new Promise((r) => setTimeout(r, Math.random() * 40));
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
      const bytes = readFileSync(target);
      expect(bytes.length, `after kill ${k + 1}`).toBe(SIZE);
      const first = bytes[0];
      expect(
        bytes.every((b) => b === first),
        `after kill ${k + 1}: one content`,
      ).toBe(true);
    }
    // what a kill left behind is a temp file beside the target, which walks (list_files, search) skip
    const left = readdirSync(dir.path).filter((n) => n !== 'f.txt');
    expect(left.every(isWriteTemp), left.join(', ')).toBe(true);
    const listed: string[] = [];
    for await (const e of walk({ absolute: dir.path, relative: '.' }, { recursive: true }))
      listed.push(e.relative);
    expect(listed).toEqual(['f.txt']);
  }, 120_000);
});
