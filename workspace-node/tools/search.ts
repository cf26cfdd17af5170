/**
 * `search`: finds a literal string (default) or a JavaScript regular expression in the text files
 * under a workspace directory. Results are bounded (`maxSearchResults` lines, each cut to 240
 * characters); binary files and files over `maxSearchFileBytes` are skipped; symlinks are never
 * followed, so the search cannot read outside the workspace. The whole search runs under
 * `searchTimeoutMs`; a regex is also stopped mid-file when it backtracks past it (see `lineMatcher.ts`).
 */
import { lstat } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { errors } from '../errors.js';
import { confinePath } from './confine.js';
import { defineTool } from './defineTool.js';
import type { ToolLimits } from './limits.js';
import { literalMatcher, regexMatcher, type LineMatcher } from './lineMatcher.js';
import { ok } from './result.js';
import { looksBinary, readLimited } from './safeFs.js';
import type { Tool } from './tool.js';
import { walk, type WalkEntry } from './walk.js';

const MAX_LINE_CHARS = 240;

const SearchInput = Type.Object(
  {
    pattern: Type.String({
      minLength: 1,
      description: 'text to find (a regular expression if regex is true)',
    }),
    regex: Type.Optional(Type.Boolean({ description: 'treat pattern as a JavaScript regular expression' })),
    path: Type.Optional(
      Type.String({ description: 'directory or file to search (default: the workspace root)' }),
    ),
    ignoreCase: Type.Optional(Type.Boolean({ description: 'case-insensitive match' })),
    maxResults: Type.Optional(
      Type.Integer({ minimum: 1, description: 'stop after this many matching lines' }),
    ),
  },
  { additionalProperties: false },
);

export function createSearchTool(limits: ToolLimits): Tool {
  return defineTool({
    name: 'search',
    description:
      'Search text files under a workspace directory for a literal string or a regular expression. ' +
      `Returns "path:line: text" for at most ${limits.maxSearchResults} matching lines; ` +
      `binary files and files over ${limits.maxSearchFileBytes} bytes are skipped.`,
    inputSchema: SearchInput,
    async run(input, ctx) {
      const ignoreCase = input.ignoreCase ?? false;
      if (input.regex === true) {
        try {
          new RegExp(input.pattern, ignoreCase ? 'i' : '');
        } catch (err) {
          throw errors.TOOL_INPUT(`invalid regular expression: ${(err as Error).message}`);
        }
      }
      const maxResults = Math.min(input.maxResults ?? limits.maxSearchResults, limits.maxSearchResults);
      const start = await confinePath(ctx.root, input.path ?? '.');
      const info = await lstat(start.absolute);
      const files: AsyncIterable<WalkEntry> | WalkEntry[] = info.isDirectory()
        ? walk(start, { recursive: true, signal: ctx.signal })
        : [{ ...start, kind: info.isFile() ? 'file' : 'other' }];

      const matcher: LineMatcher =
        input.regex === true
          ? regexMatcher(input.pattern, ignoreCase, limits.searchTimeoutMs)
          : literalMatcher(input.pattern, ignoreCase);
      const out: string[] = [];
      let filesWithHits = 0;
      let skipped = 0;
      let truncated = false;
      let outOfTime = false;
      try {
        await matcher.ready;
        const deadline = performance.now() + limits.searchTimeoutMs;
        for await (const file of files) {
          if (file.kind !== 'file') continue;
          ctx.signal?.throwIfAborted();
          if (performance.now() > deadline) {
            outOfTime = true;
            break;
          }
          const size = (await lstat(file.absolute).catch(() => undefined))?.size ?? 0;
          if (size > limits.maxSearchFileBytes) {
            skipped++;
            continue;
          }
          const bytes = await readLimited(file.absolute, file.relative, limits.maxSearchFileBytes).catch(
            () => null,
          );
          if (bytes === null || looksBinary(bytes)) {
            skipped++;
            continue;
          }
          const lines = bytes.toString('utf8').split(/\r?\n/);
          const hits = await matcher.match(lines);
          if (hits.length > 0) filesWithHits++;
          for (const i of hits) {
            if (out.length >= maxResults) {
              truncated = true;
              break;
            }
            out.push(`${file.relative}:${i + 1}: ${(lines[i] ?? '').slice(0, MAX_LINE_CHARS)}`);
          }
          if (truncated) break;
        }
      } finally {
        await matcher.close();
      }
      const skippedNote = skipped > 0 ? ` (${skipped} binary, large or unreadable files skipped)` : '';
      if (out.length === 0 && outOfTime) {
        throw errors.TOOL_TIMEOUT(`no matches within ${limits.searchTimeoutMs} ms; search a subdirectory`);
      }
      if (out.length === 0) return ok(`no matches for ${JSON.stringify(input.pattern)}${skippedNote}`);
      const summary = truncated
        ? `[stopped at ${maxResults} matching lines; narrow the search]`
        : outOfTime
          ? `[stopped after ${limits.searchTimeoutMs} ms with ${out.length} matching lines; search a subdirectory]`
          : `[${out.length} matching lines in ${filesWithHits} files${skippedNote}]`;
      return ok(`${out.join('\n')}\n${summary}`);
    },
  });
}
