/**
 * `edit_file`: exact-string replacement. `old` must occur exactly once unless `replaceAll` is set;
 * a missing or ambiguous `old` fails with a message that says which, and the file is unchanged.
 * Replacement is literal (no `$&`-style patterns, unlike `String.prototype.replace`).
 *
 * Idempotent per effect: the planned write (pre- and post-image hashes, the output) goes to the
 * write ledger (`ctx.writes`) before the file is touched; a re-run of the same effect that finds
 * the post-image already on disk returns the planned output and writes nothing. An edit whose new
 * text contains the old one (`0|` → `0||`) is therefore applied once, however often it is re-run.
 */
import { Type } from '@sinclair/typebox';
import { hashContent } from '../artifacts/index.js';
import { errors } from '../errors.js';
import { confinePath } from './confine.js';
import { defineTool } from './defineTool.js';
import type { ToolLimits } from './limits.js';
import { ok } from './result.js';
import { looksBinary, readLimited } from './safeFs.js';
import type { Tool } from './tool.js';
import { writeAndRecord } from './writeFile.js';

const EditFileInput = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'file path relative to the workspace root' }),
    old: Type.String({
      minLength: 1,
      description: 'exact text to replace (include enough context to be unique)',
    }),
    new: Type.String({ description: 'replacement text' }),
    replaceAll: Type.Optional(
      Type.Boolean({ description: 'replace every occurrence instead of exactly one' }),
    ),
  },
  { additionalProperties: false },
);

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

export function createEditFileTool(limits: ToolLimits): Tool {
  return defineTool({
    name: 'edit_file',
    description:
      'Replace exact text in a workspace file. `old` must match exactly once (whitespace included) ' +
      'unless replaceAll is true.',
    inputSchema: EditFileInput,
    async run(input, ctx) {
      if (input.old === input.new) throw errors.TOOL_INPUT('old and new are the same text');
      const target = await confinePath(ctx.root, input.path);
      const bytes = await readLimited(
        target.absolute,
        input.path,
        Math.min(limits.maxReadBytes, limits.maxWriteBytes),
      );
      if (looksBinary(bytes)) throw errors.TOOL_FAILED(`${input.path} is a binary file`);
      const sha256 = hashContent(bytes).sha256;
      const planned = ctx.writes?.recall(ctx.producer, target.relative);
      if (planned && planned.postSha256 === sha256) return ok(planned.output); // this effect already wrote it
      const text = bytes.toString('utf8');
      const count = occurrences(text, input.old);
      if (count === 0) throw errors.EDIT_NO_MATCH(`${input.path} does not contain the given old text`);
      if (count > 1 && input.replaceAll !== true) {
        throw errors.EDIT_AMBIGUOUS(
          `${input.path} contains the old text ${count} times; add surrounding context or set replaceAll`,
        );
      }
      const next = Buffer.from(text.split(input.old).join(input.new), 'utf8');
      if (next.length > limits.maxWriteBytes) {
        throw errors.FILE_TOO_LARGE(
          `the edited file would be ${next.length} bytes, the limit is ${limits.maxWriteBytes}`,
        );
      }
      const output = `replaced ${count} occurrence${count === 1 ? '' : 's'} in ${target.relative}`;
      ctx.writes?.plan(ctx.producer, {
        path: target.relative,
        preSha256: sha256,
        postSha256: hashContent(next).sha256,
        output,
      });
      await writeAndRecord(target.absolute, target.relative, next, ctx);
      return ok(output);
    },
  });
}
