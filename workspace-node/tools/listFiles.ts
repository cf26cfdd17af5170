/**
 * `list_files`: the entries under a workspace directory, recursive by default (files only) or one
 * level (files and `dir/`), symlinks shown but not followed, at most `maxListEntries`.
 */
import { lstat } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { errors } from '../errors.js';
import { confinePath } from './confine.js';
import { defineTool } from './defineTool.js';
import type { ToolLimits } from './limits.js';
import { ok } from './result.js';
import type { Tool } from './tool.js';
import { walk } from './walk.js';

const ListFilesInput = Type.Object(
  {
    path: Type.Optional(
      Type.String({ description: 'directory relative to the workspace root (default: the root)' }),
    ),
    recursive: Type.Optional(
      Type.Boolean({ description: 'list the whole tree (default true); false: one level' }),
    ),
  },
  { additionalProperties: false },
);

export function createListFilesTool(limits: ToolLimits): Tool {
  return defineTool({
    name: 'list_files',
    description:
      `List files under a workspace directory (recursive by default, at most ${limits.maxListEntries} entries; ` +
      '.git and node_modules are not descended; symlinks are marked and not followed).',
    inputSchema: ListFilesInput,
    async run(input, ctx) {
      const shown = input.path ?? '.';
      const start = await confinePath(ctx.root, shown);
      const info = await lstat(start.absolute);
      if (info.isFile()) return ok(start.relative);
      if (!info.isDirectory()) throw errors.TOOL_FAILED(`${shown} is not a directory`);
      const recursive = input.recursive ?? true;
      const out: string[] = [];
      let truncated = false;
      for await (const entry of walk(start, { recursive, signal: ctx.signal })) {
        if (recursive && entry.kind === 'dir') continue;
        if (out.length >= limits.maxListEntries) {
          truncated = true;
          break;
        }
        const suffix =
          entry.kind === 'dir' ? '/' : entry.kind === 'symlink' ? ' (symlink, not followed)' : '';
        out.push(entry.relative + suffix);
      }
      if (out.length === 0) return ok('(empty)');
      if (truncated) out.push(`[truncated: more than ${limits.maxListEntries} entries; list a subdirectory]`);
      return ok(out.join('\n'));
    },
  });
}
