/** edit_file: exact, literal, unambiguous replacement — or a clear refusal and an untouched file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToolset, type ToolContext } from '../../workspace-node/tools/index.js';
import { tempDir } from '../harness/index.js';

let ws: ReturnType<typeof tempDir>;
let ctx: ToolContext;
let recorded: { path: string; sha256: string; size: number }[];
const toolset = createToolset({ limits: { maxWriteBytes: 100 } });
const file = () => readFileSync(join(ws.path, 'a.ts'), 'utf8');

beforeEach(() => {
  ws = tempDir('moe-ws-');
  recorded = [];
  ctx = {
    root: ws.path,
    producer: { address: 'agent/a1', effectId: 'e1' },
    recordArtifact: (a) => recorded.push(a),
  };
  writeFileSync(join(ws.path, 'a.ts'), 'const a = 1;\nconst b = 1;\n');
});
afterEach(() => ws.remove());

describe('edit_file', () => {
  it('replaces text that occurs exactly once and records the new content', async () => {
    const result = await toolset.run('edit_file', { path: 'a.ts', old: 'a = 1', new: 'a = 2' }, ctx);
    expect(result).toEqual({ output: 'replaced 1 occurrence in a.ts', isError: false });
    expect(file()).toBe('const a = 2;\nconst b = 1;\n');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ path: 'a.ts', size: Buffer.byteLength(file()) });
  });

  it('fails clearly when the old text is missing, leaving the file unchanged', async () => {
    const result = await toolset.run('edit_file', { path: 'a.ts', old: 'const c', new: 'x' }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_EDIT_NO_MATCH' });
    expect(result.output).toContain('does not contain');
    expect(file()).toBe('const a = 1;\nconst b = 1;\n');
    expect(recorded).toEqual([]);
  });

  it('fails clearly when the old text is ambiguous, saying how many times it occurs', async () => {
    const result = await toolset.run('edit_file', { path: 'a.ts', old: '= 1', new: '= 3' }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_EDIT_AMBIGUOUS' });
    expect(result.output).toContain('2 times');
    expect(file()).toBe('const a = 1;\nconst b = 1;\n');
  });

  it('replaces every occurrence when replaceAll is set', async () => {
    const result = await toolset.run(
      'edit_file',
      { path: 'a.ts', old: '= 1', new: '= 3', replaceAll: true },
      ctx,
    );
    expect(result.output).toBe('replaced 2 occurrences in a.ts');
    expect(file()).toBe('const a = 3;\nconst b = 3;\n');
  });

  it('inserts the new text literally, without $-replacement patterns', async () => {
    await toolset.run('edit_file', { path: 'a.ts', old: 'a = 1', new: "a = '$&$1$$'" }, ctx);
    expect(file()).toBe("const a = '$&$1$$';\nconst b = 1;\n");
  });

  it('refuses an edit whose result exceeds the write limit', async () => {
    const result = await toolset.run('edit_file', { path: 'a.ts', old: 'a = 1', new: 'x'.repeat(200) }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_FILE_TOO_LARGE' });
    expect(file()).toBe('const a = 1;\nconst b = 1;\n');
  });

  it('rejects an empty old text and a missing file', async () => {
    expect(await toolset.run('edit_file', { path: 'a.ts', old: '', new: 'x' }, ctx)).toMatchObject({
      code: 'MOE_ERR_TOOL_INPUT',
    });
    expect(await toolset.run('edit_file', { path: 'b.ts', old: 'a', new: 'b' }, ctx)).toMatchObject({
      code: 'MOE_ERR_FILE_NOT_FOUND',
    });
  });
});
