/**
 * `createToolset`: the tools one project's agents get, built from its options — size limits,
 * whether the `shell` tool exists, and which tools need approval (the agent machine waits in
 * `awaiting_approval` for those; the toolset only says which). The kernel calls `run` with the
 * model's tool call; `definitions()` is what providers send to the model.
 */
import { errors } from '../errors.js';
import { createEditFileTool } from './editFile.js';
import { DEFAULT_LIMITS, type ToolLimits } from './limits.js';
import { createListFilesTool } from './listFiles.js';
import { createReadFileTool } from './readFile.js';
import { fail } from './result.js';
import { createSearchTool } from './search.js';
import { createShellTool, type ShellOptions } from './shell.js';
import type { Tool, ToolContext, ToolResult } from './tool.js';
import { createWriteFileTool } from './writeFile.js';

export interface ToolsetOptions {
  /** the shell tool is off unless `enabled: true` */
  readonly shell?: ShellOptions;
  /** names of tools that need approval before they run, e.g. `['shell', 'write_file']` */
  readonly approval?: readonly string[];
  readonly limits?: Partial<ToolLimits>;
}

/** A tool as the model sees it (the shape providers send): name, description, JSON Schema. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

export interface Toolset {
  /** the enabled tools, `needsApproval` set from the options */
  readonly tools: readonly Tool[];
  get(name: string): Tool | undefined;
  needsApproval(name: string): boolean;
  definitions(): ToolDefinition[];
  /**
   * Validates `input` and runs the tool; unknown tool → `MOE_ERR_TOOL_UNKNOWN` result, disabled
   * shell → `MOE_ERR_TOOL_DISABLED` result. It does not wait for approval: the agent machine issues
   * the tool effect only after a tool that `needsApproval` was approved.
   */
  run(name: string, input: unknown, ctx: ToolContext): Promise<ToolResult>;
}

/** every tool name a project may mention, enabled or not */
export const TOOL_NAMES = ['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'shell'] as const;

/**
 * @example
 *   const toolset = createToolset({ shell: { enabled: true, timeoutMs: 10_000 }, approval: ['shell'] });
 *   toolset.needsApproval('shell'); // true
 *   await toolset.run('read_file', { path: 'README.md' }, { root, producer: { address, effectId } });
 */
export function createToolset(options: ToolsetOptions = {}): Toolset {
  const limits: ToolLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const approval = new Set(options.approval ?? []);
  for (const name of approval) {
    if (!(TOOL_NAMES as readonly string[]).includes(name)) {
      throw errors.CONFIG(`approval names an unknown tool "${name}" (known: ${TOOL_NAMES.join(', ')})`);
    }
  }
  const built: Tool[] = [
    createReadFileTool(limits),
    createWriteFileTool(limits),
    createEditFileTool(limits),
    createListFilesTool(limits),
    createSearchTool(limits),
  ];
  if (options.shell?.enabled === true) built.push(createShellTool(options.shell));
  const tools = built.map((tool): Tool =>
    approval.has(tool.name) ? { ...tool, needsApproval: true } : tool,
  );
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const definitions = tools.map((tool): ToolDefinition => ({
    name: tool.name,
    description: tool.description,
    // JSON round trip drops TypeBox's symbol-keyed metadata: plain JSON Schema remains.
    inputSchema: JSON.parse(JSON.stringify(tool.inputSchema)) as Record<string, unknown>,
  }));

  return {
    tools,
    get: (name) => byName.get(name),
    needsApproval: (name) => byName.get(name)?.needsApproval === true,
    definitions: () => definitions.map((d) => ({ ...d, inputSchema: structuredClone(d.inputSchema) })),
    async run(name, input, ctx) {
      const tool = byName.get(name);
      if (tool) return tool.run(input as Record<string, unknown>, ctx);
      if (name === 'shell') return fail(errors.TOOL_DISABLED('shell is off; the project must enable it'));
      return fail(errors.TOOL_UNKNOWN(`"${name}" (available: ${tools.map((t) => t.name).join(', ')})`));
    },
  };
}
