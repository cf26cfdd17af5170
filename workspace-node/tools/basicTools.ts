/**
 * The minimal tool set of the kernel work: read, write and list files, confined to the workspace
 * root. The full set (search, edit, shell, approval) builds on the same confinement.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { Type } from '@sinclair/typebox';
import { resolveInside } from './confine.js';
import type { Tool } from './tool.js';

export const MAX_FILE_BYTES = 1024 * 1024;

export const readFileTool: Tool = {
  name: 'read_file',
  description: 'Read a UTF-8 text file from the workspace.',
  inputSchema: Type.Object({ path: Type.String({ minLength: 1 }) }),
  async run(input, ctx) {
    const path = await resolveInside(ctx.root, String(input.path));
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return { output: `no such file: ${String(input.path)}`, isError: true };
    if (info.size > MAX_FILE_BYTES) return { output: `file too large (${info.size} bytes)`, isError: true };
    return { output: await readFile(path, 'utf8'), isError: false };
  },
};

export const writeFileTool: Tool = {
  name: 'write_file',
  description: 'Write (create or replace) a UTF-8 text file in the workspace.',
  inputSchema: Type.Object({ path: Type.String({ minLength: 1 }), content: Type.String() }),
  async run(input, ctx) {
    const content = String(input.content);
    if (Buffer.byteLength(content) > MAX_FILE_BYTES) return { output: 'content too large', isError: true };
    const path = await resolveInside(ctx.root, String(input.path));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    ctx.recordArtifact?.({ path: relative(ctx.root, path), sha256, size: Buffer.byteLength(content) });
    return { output: `wrote ${Buffer.byteLength(content)} bytes to ${relative(ctx.root, path)}`, isError: false };
  },
};

export const listFilesTool: Tool = {
  name: 'list_files',
  description: 'List files under a directory of the workspace (recursive, at most 500 entries).',
  inputSchema: Type.Object({ path: Type.Optional(Type.String()) }),
  async run(input, ctx) {
    const base = await resolveInside(ctx.root, String(input.path ?? '.'));
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (out.length >= 500) return;
        const full = `${dir}/${entry.name}`;
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) out.push(relative(ctx.root, full));
      }
    };
    await walk(base);
    out.sort();
    return { output: out.length ? out.join('\n') : '(empty)', isError: false };
  },
};

export const basicTools: readonly Tool[] = [readFileTool, writeFileTool, listFilesTool];
