/**
 * `read_file`: a UTF-8 text file of the workspace, whole (up to `maxReadBytes`) or a 1-based,
 * inclusive line range (streamed, so a range of a larger file works; output capped at
 * `maxReadBytes`). Binary files are refused.
 */
import { createInterface } from 'node:readline';
import { Type } from '@sinclair/typebox';
import { MAX_TOOL_OUTPUT_BYTES } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { confinePath } from './confine.js';
import { defineTool } from './defineTool.js';
import type { ToolLimits } from './limits.js';
import { ok } from './result.js';
import { looksBinary, openRegular, readLimited } from './safeFs.js';
import type { Tool } from './tool.js';

const ReadFileInput = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'file path relative to the workspace root' }),
    startLine: Type.Optional(Type.Integer({ minimum: 1, description: 'first line to return (1-based)' })),
    endLine: Type.Optional(Type.Integer({ minimum: 1, description: 'last line to return (inclusive)' })),
  },
  { additionalProperties: false },
);

export function createReadFileTool(limits: ToolLimits): Tool {
  return defineTool({
    name: 'read_file',
    description:
      `Read a UTF-8 text file from the workspace. Files up to ${limits.maxReadBytes} bytes are returned whole; ` +
      'give startLine/endLine (1-based, inclusive) to read part of a file, including larger ones. ' +
      `Output over ${MAX_TOOL_OUTPUT_BYTES} bytes (JSON-escaped) is cut with a marker: read large files in parts.`,
    inputSchema: ReadFileInput,
    async run(input, ctx) {
      const { absolute } = await confinePath(ctx.root, input.path);
      if (input.startLine === undefined && input.endLine === undefined) {
        const hint = 'read it in parts with startLine/endLine';
        const bytes = await readLimited(absolute, input.path, limits.maxReadBytes, hint);
        if (looksBinary(bytes)) throw errors.TOOL_FAILED(`${input.path} is a binary file`);
        return ok(bytes.toString('utf8'));
      }
      const start = input.startLine ?? 1;
      const end = input.endLine ?? Number.POSITIVE_INFINITY;
      if (end < start) throw errors.TOOL_INPUT(`endLine ${end} is before startLine ${start}`);
      return ok(await readLines(absolute, input.path, start, end, limits.maxReadBytes));
    },
  });
}

async function readLines(absolute: string, shown: string, start: number, end: number, maxBytes: number) {
  const { handle } = await openRegular(absolute, shown);
  try {
    const head = Buffer.alloc(8000);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (looksBinary(head.subarray(0, bytesRead))) throw errors.TOOL_FAILED(`${shown} is a binary file`);
    const stream = handle.createReadStream({ start: 0, autoClose: false, encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    const out: string[] = [];
    let bytes = 0;
    let lineNo = 0;
    let truncated = false;
    for await (const line of lines) {
      lineNo++;
      if (lineNo < start) continue;
      if (lineNo > end) break;
      bytes += Buffer.byteLength(line) + 1;
      if (bytes > maxBytes) {
        truncated = true;
        break;
      }
      out.push(line);
    }
    lines.close();
    stream.destroy();
    if (lineNo < start)
      throw errors.TOOL_FAILED(`${shown} has ${lineNo} lines; startLine ${start} is past the end`);
    const text = out.join('\n');
    return truncated ? `${text}\n[truncated at ${maxBytes} bytes: ask for fewer lines]` : text;
  } finally {
    await handle.close();
  }
}
