/**
 * Ready-made instances of the file tools with the default limits (what the kernel used before
 * toolsets existed). New code should prefer `createToolset(options)`, which adds search, edit,
 * the optional shell and per-project approval.
 */
import { createListFilesTool } from './listFiles.js';
import { DEFAULT_LIMITS } from './limits.js';
import { createReadFileTool } from './readFile.js';
import { createWriteFileTool } from './writeFile.js';
import type { Tool } from './tool.js';

export const MAX_FILE_BYTES = DEFAULT_LIMITS.maxReadBytes;

export const readFileTool: Tool = createReadFileTool(DEFAULT_LIMITS);
export const writeFileTool: Tool = createWriteFileTool(DEFAULT_LIMITS);
export const listFilesTool: Tool = createListFilesTool(DEFAULT_LIMITS);

export const basicTools: readonly Tool[] = [readFileTool, writeFileTool, listFilesTool];
