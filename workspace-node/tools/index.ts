/**
 * Public door of the workspace tools: the tool contract, confinement, the toolset factory and the
 * individual tool factories. Other folders import from here only.
 */
export type { Tool, ToolContext, ToolResult } from './tool.js';
export { confinePath, resolveInside, workspaceRoot, type ConfinedPath } from './confine.js';
export {
  createToolset,
  TOOL_NAMES,
  type Toolset,
  type ToolsetOptions,
  type ToolDefinition,
} from './toolset.js';
export { DEFAULT_LIMITS, type ToolLimits } from './limits.js';
export { defineTool, type ToolSpec } from './defineTool.js';
export { sqliteWriteLedger, type WriteLedger, type PlannedWrite, type WriteProducer } from './writeLedger.js';
export { ok, fail, errorResult } from './result.js';
export { createReadFileTool } from './readFile.js';
export { createWriteFileTool } from './writeFile.js';
export { createEditFileTool } from './editFile.js';
export { createListFilesTool } from './listFiles.js';
export { createSearchTool } from './search.js';
export { createShellTool, type ShellOptions } from './shell.js';
export { basicTools, readFileTool, writeFileTool, listFilesTool, MAX_FILE_BYTES } from './basicTools.js';
