/** Path confinement: every way out of the workspace is refused, and the outside is never touched. */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confinePath, createToolset, type ToolContext } from '../../workspace-node/tools/index.js';
import { tempDir } from '../harness/index.js';

const OUTSIDE_CODE = 'MOE_ERR_PATH_OUTSIDE_WORKSPACE';
const SECRET = 'top-secret-outside-content';

let ws: ReturnType<typeof tempDir>;
let outside: ReturnType<typeof tempDir>;
let ctx: ToolContext;
const toolset = createToolset();

beforeEach(() => {
  // The workspace is a folder inside a private temp dir, so `..` of the workspace is ours alone
  // (a shared /tmp may hold an unrelated `x`).
  const parent = tempDir('moe-ws-');
  ws = { path: join(parent.path, 'ws'), remove: () => parent.remove() };
  mkdirSync(ws.path);
  outside = tempDir('moe-outside-');
  writeFileSync(join(outside.path, 'secret.txt'), SECRET);
  ctx = { root: ws.path, producer: { address: 'agent/a1', effectId: 'e1' } };
});
afterEach(() => {
  ws.remove();
  outside.remove();
});

async function expectRefused(tool: string, input: Record<string, unknown>) {
  const result = await toolset.run(tool, input, ctx);
  expect(result.isError).toBe(true);
  expect(result.code).toBe(OUTSIDE_CODE);
  expect(result.output).toContain(OUTSIDE_CODE);
  expect(result.output).not.toContain(SECRET);
  return result;
}

describe('path confinement', () => {
  it('refuses a relative path that climbs out with ..', async () => {
    await expectRefused('read_file', { path: '../x' });
    await expectRefused('write_file', { path: '../x', content: 'nope' });
    expect(existsSync(join(ws.path, '..', 'x'))).toBe(false);
  });

  it('refuses a path that climbs out after descending (a/../../x)', async () => {
    await expectRefused('write_file', { path: 'a/../../x', content: 'nope' });
    expect(existsSync(join(ws.path, '..', 'x'))).toBe(false);
  });

  it('refuses an absolute path outside the workspace', async () => {
    await expectRefused('read_file', { path: '/etc/passwd' });
    await expectRefused('read_file', { path: join(outside.path, 'secret.txt') });
    await expectRefused('list_files', { path: '/etc' });
    await expectRefused('search', { pattern: 'root', path: '/etc' });
  });

  it('refuses a path with a NUL byte', async () => {
    const result = await expectRefused('read_file', { path: 'a\0/../../etc/passwd' });
    expect(result.output).toContain('NUL');
  });

  it('refuses to read through a symlink to /etc inside the workspace', async () => {
    symlinkSync('/etc', join(ws.path, 'etc'));
    await expectRefused('read_file', { path: 'etc/passwd' });
    await expectRefused('list_files', { path: 'etc' });
  });

  it('refuses to read or write through a symlinked parent directory', async () => {
    symlinkSync(outside.path, join(ws.path, 'sub'));
    await expectRefused('read_file', { path: 'sub/secret.txt' });
    await expectRefused('write_file', { path: 'sub/new.txt', content: 'nope' });
    await expectRefused('write_file', { path: 'sub/deeper/new.txt', content: 'nope' });
    await expectRefused('edit_file', { path: 'sub/secret.txt', old: 'top', new: 'bottom' });
    expect(existsSync(join(outside.path, 'new.txt'))).toBe(false);
    expect(existsSync(join(outside.path, 'deeper'))).toBe(false);
    expect(readFileSync(join(outside.path, 'secret.txt'), 'utf8')).toBe(SECRET);
  });

  it('refuses a symlinked directory in the middle of the path', async () => {
    mkdirSync(join(ws.path, 'a'));
    symlinkSync(outside.path, join(ws.path, 'a', 'link'));
    await expectRefused('read_file', { path: 'a/link/secret.txt' });
    await expectRefused('write_file', { path: 'a/link/x/y.txt', content: 'nope' });
    expect(existsSync(join(outside.path, 'x'))).toBe(false);
  });

  it('refuses a final-component symlink to an outside file', async () => {
    symlinkSync(join(outside.path, 'secret.txt'), join(ws.path, 'innocent.txt'));
    await expectRefused('read_file', { path: 'innocent.txt' });
    await expectRefused('write_file', { path: 'innocent.txt', content: 'overwrite' });
    expect(readFileSync(join(outside.path, 'secret.txt'), 'utf8')).toBe(SECRET);
  });

  it('refuses to write through a dangling symlink that points outside, and creates nothing there', async () => {
    const target = join(outside.path, 'created-by-agent.txt');
    symlinkSync(target, join(ws.path, 'dangling.txt'));
    await expectRefused('write_file', { path: 'dangling.txt', content: 'pwned' });
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a relative symlink chain that ends outside', async () => {
    symlinkSync('../' + outside.path.split('/').pop()!, join(ws.path, 'rel'));
    symlinkSync('rel', join(ws.path, 'hop'));
    await expectRefused('read_file', { path: 'hop/secret.txt' });
  });

  it('never follows symlinks out while searching or listing', async () => {
    symlinkSync(outside.path, join(ws.path, 'out'));
    symlinkSync(join(outside.path, 'secret.txt'), join(ws.path, 'file-link.txt'));
    writeFileSync(join(ws.path, 'inside.txt'), 'hello');
    const search = await toolset.run('search', { pattern: 'secret' }, ctx);
    expect(search.isError).toBe(false);
    expect(search.output).not.toContain(SECRET);
    expect(search.output).toContain('no matches');
    const list = await toolset.run('list_files', {}, ctx);
    expect(list.output).toContain('out (symlink, not followed)');
    expect(list.output).not.toContain('secret.txt');
  });

  it('allows symlinks and absolute paths that stay inside the workspace', async () => {
    mkdirSync(join(ws.path, 'real'));
    writeFileSync(join(ws.path, 'real', 'a.txt'), 'inside');
    symlinkSync('real', join(ws.path, 'alias'));
    symlinkSync(join(ws.path, 'real', 'new.txt'), join(ws.path, 'dangling-inside.txt'));
    expect((await toolset.run('read_file', { path: 'alias/a.txt' }, ctx)).output).toBe('inside');
    expect((await toolset.run('read_file', { path: join(ws.path, 'real/a.txt') }, ctx)).output).toBe(
      'inside',
    );
    const write = await toolset.run('write_file', { path: 'dangling-inside.txt', content: 'made' }, ctx);
    expect(write.isError).toBe(false);
    expect(readFileSync(join(ws.path, 'real', 'new.txt'), 'utf8')).toBe('made');
  });

  it('resolveInside-style confinement returns canonical paths relative to the root', async () => {
    mkdirSync(join(ws.path, 'd'));
    const p = await confinePath(ws.path, './d/../d/file.txt');
    expect(p.relative).toBe('d/file.txt');
    await expect(confinePath(ws.path, '..')).rejects.toMatchObject({ code: OUTSIDE_CODE });
  });
});
