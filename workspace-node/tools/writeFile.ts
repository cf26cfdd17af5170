/**
 * `write_file`: creates or replaces a UTF-8 text file (parents created), up to `maxWriteBytes`,
 * and records it as an artifact of the running turn (`ctx.recordArtifact`).
 */
import { Type } from '@sinclair/typebox';
import { hashContent } from '../artifacts/index.js';
import { errors } from '../errors.js';
import { confinePath } from './confine.js';
import { defineTool } from './defineTool.js';
import type { ToolLimits } from './limits.js';
import { ok } from './result.js';
import { writeNoFollow } from './safeFs.js';
import type { Tool, ToolContext } from './tool.js';

const WriteFileInput = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'file path relative to the workspace root' }),
    content: Type.String({ description: 'the full new content of the file' }),
  },
  { additionalProperties: false },
);

export function createWriteFileTool(limits: ToolLimits): Tool {
  return defineTool({
    name: 'write_file',
    description: `Write (create or replace) a UTF-8 text file in the workspace, at most ${limits.maxWriteBytes} bytes. Parent directories are created.`,
    inputSchema: WriteFileInput,
    async run(input, ctx) {
      const bytes = Buffer.from(input.content, 'utf8');
      if (bytes.length > limits.maxWriteBytes) {
        throw errors.FILE_TOO_LARGE(`content is ${bytes.length} bytes, the limit is ${limits.maxWriteBytes}`);
      }
      const target = await confinePath(ctx.root, input.path);
      if (target.relative === '.') throw errors.TOOL_FAILED('cannot write to the workspace root itself');
      await writeAndRecord(target.absolute, target.relative, bytes, ctx);
      return ok(`wrote ${bytes.length} bytes to ${target.relative}`);
    },
  });
}

/** Writes a confined file and records it as an artifact of the running turn. */
export async function writeAndRecord(absolute: string, relative: string, bytes: Buffer, ctx: ToolContext) {
  await writeNoFollow(absolute, relative, bytes);
  const { sha256, size } = hashContent(bytes);
  ctx.recordArtifact?.({ path: relative, sha256, size }, ctx.producer);
}
