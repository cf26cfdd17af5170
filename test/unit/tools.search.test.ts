/** search: literal and regex matches over text files, bounded, skipping binary and large files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToolset, type ToolContext } from '../../workspace-node/tools/index.js';
import { regexMatcher } from '../../workspace-node/tools/lineMatcher.js';
import { tempDir } from '../harness/index.js';

let ws: ReturnType<typeof tempDir>;
let ctx: ToolContext;
const toolset = createToolset({
  limits: { maxSearchResults: 3, maxSearchFileBytes: 1000, searchTimeoutMs: 500 },
});

beforeEach(() => {
  ws = tempDir('moe-ws-');
  ctx = { root: ws.path, producer: { address: 'agent/a1', effectId: 'e1' } };
  mkdirSync(join(ws.path, 'src'));
  writeFileSync(join(ws.path, 'src/a.ts'), 'export const Alpha = 1;\n// TODO: beta\n');
  writeFileSync(join(ws.path, 'src/b.ts'), 'import { Alpha } from "./a.js";\n');
  writeFileSync(join(ws.path, 'notes.md'), 'alpha (a.b) notes\n');
});
afterEach(() => ws.remove());

describe('search', () => {
  it('finds a literal string and reports path:line: text', async () => {
    const result = await toolset.run('search', { pattern: 'Alpha' }, ctx);
    expect(result.isError).toBe(false);
    expect(result.output.split('\n')).toEqual([
      'src/a.ts:1: export const Alpha = 1;',
      'src/b.ts:1: import { Alpha } from "./a.js";',
      '[2 matching lines in 2 files]',
    ]);
  });

  it('treats the pattern literally unless regex is set', async () => {
    expect((await toolset.run('search', { pattern: '(a.b)' }, ctx)).output).toContain('notes.md:1:');
    const regex = await toolset.run('search', { pattern: '^export\\s+const', regex: true }, ctx);
    expect(regex.output.split('\n')[0]).toBe('src/a.ts:1: export const Alpha = 1;');
  });

  it('matches case-insensitively on request and searches under a subdirectory only', async () => {
    const result = await toolset.run('search', { pattern: 'alpha', ignoreCase: true, path: 'src' }, ctx);
    expect(result.output).toContain('src/a.ts:1:');
    expect(result.output).not.toContain('notes.md');
  });

  it('stops at the result limit and says so', async () => {
    writeFileSync(join(ws.path, 'many.txt'), 'hit\n'.repeat(10));
    const result = await toolset.run('search', { pattern: 'hit', maxResults: 50 }, ctx);
    const lines = result.output.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain('stopped at 3');
  });

  it('skips binary files and files over the size limit', async () => {
    writeFileSync(join(ws.path, 'bin.dat'), Buffer.concat([Buffer.from('Alpha'), Buffer.from([0, 1, 2])]));
    writeFileSync(join(ws.path, 'huge.txt'), 'Alpha\n'.repeat(500));
    const result = await toolset.run('search', { pattern: 'Alpha', path: '.' }, ctx);
    expect(result.output).not.toContain('bin.dat');
    expect(result.output).not.toContain('huge.txt');
    expect(result.output).toContain('2 binary, large or unreadable files skipped');
  });

  it('reports an invalid regular expression as bad input', async () => {
    const result = await toolset.run('search', { pattern: '(unclosed', regex: true }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_INPUT' });
    expect(result.output).toContain('invalid regular expression');
  });

  it('stops a catastrophically backtracking regex without blocking the event loop', async () => {
    writeFileSync(join(ws.path, 'evil.txt'), 'a'.repeat(40) + 'b\n');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    const result = await toolset.run('search', { pattern: '^(a+)+$', regex: true }, ctx);
    clearInterval(timer);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ticks).toBeGreaterThan(5);
  });

  it('says no matches when nothing matches', async () => {
    expect(await toolset.run('search', { pattern: 'zzz' }, ctx)).toEqual({
      output: 'no matches for "zzz"',
      isError: false,
    });
  });

  it('starts a regex time limit once its worker is up, not while the thread starts', async () => {
    const matcher = regexMatcher('^export', false, 100);
    try {
      // a busy event loop (a loaded machine) right after the worker was asked for
      const until = performance.now() + 400;
      while (performance.now() < until);
      expect(await matcher.match(['export const A = 1;', 'import x'])).toEqual([0]);
    } finally {
      await matcher.close();
    }
  });
});
