/**
 * Building tool results, and turning errors into them: a non-retryable `MoeError` or a file-system
 * error the model caused (no such file, is a directory, …) becomes `{ isError: true }` with the
 * stable code at the start of the message; anything else is an infrastructure failure and is
 * rethrown for the kernel to retry. Messages name the workspace-relative path, never host paths.
 */
import type { MoeError } from '../../schemas/index.js';
import { isMoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';
import type { ToolResult } from './tool.js';

export function ok(output: string): ToolResult {
  return { output, isError: false };
}

export function fail(err: MoeError): ToolResult {
  return { output: `${err.code}: ${err.message}`, isError: true, code: err.code };
}

const FS_ERRORS: Readonly<Record<string, (what: string) => MoeError>> = {
  ENOENT: (what) => errors.FILE_NOT_FOUND(what),
  ENOTDIR: (what) => errors.TOOL_FAILED(`a parent of ${what} is not a directory`),
  EISDIR: (what) => errors.TOOL_FAILED(`${what} is a directory`),
  EEXIST: (what) => errors.TOOL_FAILED(`${what} already exists`),
  ELOOP: (what) => errors.PATH_OUTSIDE_WORKSPACE(`${what} (symlink at the final component)`),
  EACCES: (what) => errors.TOOL_FAILED(`permission denied: ${what}`),
  EPERM: (what) => errors.TOOL_FAILED(`operation not permitted: ${what}`),
  ENAMETOOLONG: (what) => errors.TOOL_FAILED(`name too long: ${what}`),
  EFBIG: (what) => errors.FILE_TOO_LARGE(what),
  ENXIO: (what) => errors.TOOL_FAILED(`${what} is not a regular file`),
};

/**
 * The tool result for `err`, or `undefined` when `err` is an infrastructure failure to rethrow.
 * `what` names the path the tool was working on, as the model gave it.
 */
export function errorResult(err: unknown, what: string): ToolResult | undefined {
  if (isMoeError(err)) return err.retryable ? undefined : fail(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const make = code === undefined ? undefined : FS_ERRORS[code];
  return make ? fail(make(what)) : undefined;
}
