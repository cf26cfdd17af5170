/** createToolset: approval per project, definitions for the model, validation and unknown tools. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToolset, type ToolContext } from '../../workspace-node/tools/index.js';
import { tempDir } from '../harness/index.js';

let ws: ReturnType<typeof tempDir>;
let ctx: ToolContext;

beforeEach(() => {
  ws = tempDir('moe-ws-');
  ctx = { root: ws.path, producer: { address: 'agent/a1', effectId: 'e1' } };
});
afterEach(() => ws.remove());

describe('createToolset', () => {
  it('offers the five file tools by default, none needing approval', () => {
    const toolset = createToolset();
    expect(toolset.tools.map((t) => t.name)).toEqual([
      'read_file',
      'write_file',
      'edit_file',
      'list_files',
      'search',
    ]);
    expect(toolset.tools.some((t) => t.needsApproval)).toBe(false);
  });

  it('marks the tools the project lists as needing approval', () => {
    const toolset = createToolset({ shell: { enabled: true }, approval: ['shell', 'write_file'] });
    expect(toolset.needsApproval('shell')).toBe(true);
    expect(toolset.needsApproval('write_file')).toBe(true);
    expect(toolset.needsApproval('read_file')).toBe(false);
    expect(toolset.get('shell')?.needsApproval).toBe(true);
    expect(toolset.get('edit_file')?.needsApproval).toBeUndefined();
  });

  it('rejects an approval list that names an unknown tool at start-up', () => {
    expect(() => createToolset({ approval: ['rm_rf'] })).toThrow(
      expect.objectContaining({ code: 'MOE_ERR_CONFIG' }),
    );
  });

  it('gives providers plain JSON Schema definitions', () => {
    const defs = createToolset().definitions();
    const read = defs.find((d) => d.name === 'read_file');
    expect(read?.inputSchema).toMatchObject({
      type: 'object',
      required: ['path'],
      additionalProperties: false,
      properties: { path: { type: 'string' }, startLine: { type: 'integer' } },
    });
    expect(JSON.parse(JSON.stringify(defs))).toEqual(defs);
    expect(Object.getOwnPropertySymbols(read?.inputSchema ?? {})).toEqual([]);
  });

  it('returns MOE_ERR_TOOL_UNKNOWN for a tool it does not have', async () => {
    const result = await createToolset().run('format_disk', {}, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_UNKNOWN' });
    expect(result.output).toContain('format_disk');
  });

  it('validates input against the schema and names the JSON path', async () => {
    const toolset = createToolset();
    const missing = await toolset.run('read_file', {}, ctx);
    expect(missing).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_INPUT' });
    expect(missing.output).toContain('/path');
    const wrongType = await toolset.run('read_file', { path: 'a', startLine: 'one' }, ctx);
    expect(wrongType.output).toContain('/startLine');
    expect(await toolset.run('read_file', { path: 'a', extra: 1 }, ctx)).toMatchObject({
      code: 'MOE_ERR_TOOL_INPUT',
    });
    expect(await toolset.run('read_file', null, ctx)).toMatchObject({ code: 'MOE_ERR_TOOL_INPUT' });
  });

  it('throws (an infrastructure failure for the kernel) when the workspace root itself is missing', async () => {
    const gone = { ...ctx, root: `${ws.path}/does-not-exist` };
    await expect(createToolset().run('read_file', { path: 'a.txt' }, gone)).rejects.toThrow(
      'workspace root is not accessible',
    );
  });
});
