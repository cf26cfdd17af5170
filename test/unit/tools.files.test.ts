/** read_file, write_file and list_files: behaviour, size limits and clear failures. */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicTools, createToolset, type ToolContext } from '../../workspace-node/tools/index.js';
import { tempDir } from '../harness/index.js';

let ws: ReturnType<typeof tempDir>;
let ctx: ToolContext;
let recorded: { path: string; sha256: string; size: number }[];
const toolset = createToolset({ limits: { maxReadBytes: 1000, maxWriteBytes: 500, maxListEntries: 5 } });

beforeEach(() => {
  ws = tempDir('moe-ws-');
  recorded = [];
  ctx = {
    root: ws.path,
    producer: { address: 'agent/a1', effectId: 'e1' },
    recordArtifact: (a) => recorded.push(a),
  };
});
afterEach(() => ws.remove());

describe('read_file', () => {
  it('returns the whole content of a text file', async () => {
    writeFileSync(join(ws.path, 'a.txt'), 'one\ntwo\n');
    expect(await toolset.run('read_file', { path: 'a.txt' }, ctx)).toEqual({
      output: 'one\ntwo\n',
      isError: false,
    });
  });

  it('returns an inclusive 1-based line range', async () => {
    writeFileSync(join(ws.path, 'a.txt'), 'l1\nl2\nl3\nl4\n');
    expect((await toolset.run('read_file', { path: 'a.txt', startLine: 2, endLine: 3 }, ctx)).output).toBe(
      'l2\nl3',
    );
    expect((await toolset.run('read_file', { path: 'a.txt', startLine: 4 }, ctx)).output).toBe('l4');
  });

  it('reads a line range of a file larger than the whole-file limit', async () => {
    const big = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`).join('\n');
    writeFileSync(join(ws.path, 'big.txt'), big);
    const whole = await toolset.run('read_file', { path: 'big.txt' }, ctx);
    expect(whole.isError).toBe(true);
    expect(whole.code).toBe('MOE_ERR_FILE_TOO_LARGE');
    expect(whole.output).toMatch(/startLine/);
    const part = await toolset.run('read_file', { path: 'big.txt', startLine: 499, endLine: 500 }, ctx);
    expect(part).toEqual({ output: 'line 499\nline 500', isError: false });
  });

  it('caps a line range at the read limit and says so', async () => {
    writeFileSync(
      join(ws.path, 'big.txt'),
      'x'.repeat(300) + '\n' + 'y'.repeat(300) + '\n' + 'z'.repeat(600),
    );
    const result = await toolset.run('read_file', { path: 'big.txt', startLine: 1, endLine: 3 }, ctx);
    expect(result.isError).toBe(false);
    expect(result.output).toContain('[truncated at 1000 bytes');
    expect(result.output).not.toContain('z');
  });

  it('fails clearly for a missing file, a directory, a binary file and a range past the end', async () => {
    mkdirSync(join(ws.path, 'dir'));
    writeFileSync(join(ws.path, 'bin.dat'), Buffer.from([1, 2, 0, 3]));
    writeFileSync(join(ws.path, 'short.txt'), 'a\nb');
    const missing = await toolset.run('read_file', { path: 'nope.txt' }, ctx);
    expect(missing).toMatchObject({ isError: true, code: 'MOE_ERR_FILE_NOT_FOUND' });
    expect(missing.output).toContain('nope.txt');
    expect(missing.output).not.toContain(ws.path);
    expect(await toolset.run('read_file', { path: 'dir' }, ctx)).toMatchObject({
      isError: true,
      code: 'MOE_ERR_TOOL_FAILED',
    });
    const bin = await toolset.run('read_file', { path: 'bin.dat' }, ctx);
    expect(bin.output).toContain('binary');
    const past = await toolset.run('read_file', { path: 'short.txt', startLine: 9 }, ctx);
    expect(past).toMatchObject({ isError: true });
    expect(past.output).toContain('has 2 lines');
  });

  it('does not hang on a FIFO planted in the workspace', async () => {
    execFileSync('mkfifo', [join(ws.path, 'pipe')]);
    const result = await toolset.run('read_file', { path: 'pipe' }, ctx);
    expect(result).toMatchObject({ isError: true });
    expect(result.output).toContain('not a regular file');
  });
});

describe('write_file', () => {
  it('creates parent directories, writes the content and records an artifact with its sha256', async () => {
    const result = await toolset.run('write_file', { path: 'out/deep/r.md', content: 'héllo' }, ctx);
    expect(result).toEqual({ output: 'wrote 6 bytes to out/deep/r.md', isError: false });
    expect(readFileSync(join(ws.path, 'out/deep/r.md'), 'utf8')).toBe('héllo');
    const sha256 = createHash('sha256').update('héllo').digest('hex');
    expect(recorded).toEqual([{ path: 'out/deep/r.md', sha256, size: 6 }]);
  });

  it('refuses content over the write limit and leaves no file', async () => {
    const result = await toolset.run('write_file', { path: 'big.txt', content: 'x'.repeat(501) }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_FILE_TOO_LARGE' });
    expect(existsSync(join(ws.path, 'big.txt'))).toBe(false);
    expect(recorded).toEqual([]);
  });

  it('refuses to replace a directory or the workspace root', async () => {
    mkdirSync(join(ws.path, 'dir'));
    expect(await toolset.run('write_file', { path: 'dir', content: 'x' }, ctx)).toMatchObject({
      isError: true,
    });
    expect(await toolset.run('write_file', { path: '.', content: 'x' }, ctx)).toMatchObject({
      isError: true,
    });
  });

  it('rejects input that does not match the schema, naming the JSON path', async () => {
    const result = await toolset.run('write_file', { path: 'a.txt', content: 42 }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_INPUT' });
    expect(result.output).toContain('/content');
    expect(existsSync(join(ws.path, 'a.txt'))).toBe(false);
  });
});

describe('list_files', () => {
  it('lists files recursively, sorted, without descending into .git', async () => {
    mkdirSync(join(ws.path, 'src/lib'), { recursive: true });
    mkdirSync(join(ws.path, '.git'));
    writeFileSync(join(ws.path, '.git', 'HEAD'), 'ref');
    writeFileSync(join(ws.path, 'b.txt'), '');
    writeFileSync(join(ws.path, 'src/lib/c.ts'), '');
    writeFileSync(join(ws.path, 'src/a.ts'), '');
    const result = await toolset.run('list_files', {}, ctx);
    expect(result.output.split('\n')).toEqual(['b.txt', 'src/a.ts', 'src/lib/c.ts']);
  });

  it('lists one level with directories marked when recursive is false', async () => {
    mkdirSync(join(ws.path, 'src'));
    writeFileSync(join(ws.path, 'src/a.ts'), '');
    writeFileSync(join(ws.path, 'b.txt'), '');
    expect((await toolset.run('list_files', { recursive: false }, ctx)).output).toBe('b.txt\nsrc/');
  });

  it('stops at the entry limit and says the listing was truncated', async () => {
    for (let i = 0; i < 8; i++) writeFileSync(join(ws.path, `f${i}.txt`), '');
    const lines = (await toolset.run('list_files', {}, ctx)).output.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toContain('truncated');
  });

  it('says (empty) for an empty directory and fails for a missing one', async () => {
    expect((await toolset.run('list_files', {}, ctx)).output).toBe('(empty)');
    expect(await toolset.run('list_files', { path: 'nope' }, ctx)).toMatchObject({
      code: 'MOE_ERR_FILE_NOT_FOUND',
    });
  });
});

describe('basicTools', () => {
  it('keeps the kernel-facing read, write and list tools working with default limits', async () => {
    const [read, write, list] = basicTools;
    expect([read?.name, write?.name, list?.name]).toEqual(['read_file', 'write_file', 'list_files']);
    expect((await write!.run({ path: 'k.txt', content: 'kernel' }, ctx)).isError).toBe(false);
    expect((await read!.run({ path: 'k.txt' }, ctx)).output).toBe('kernel');
    expect((await list!.run({}, ctx)).output).toBe('k.txt');
    expect(await read!.run({ path: '../x' }, ctx)).toMatchObject({ code: 'MOE_ERR_PATH_OUTSIDE_WORKSPACE' });
  });
});
