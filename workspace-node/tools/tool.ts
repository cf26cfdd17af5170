/**
 * The tool interface: what an agent can do to its workspace. Every tool is confined to the
 * workspace root (see `confine.ts`); its input is validated against `inputSchema` before `run`.
 * Tool-level failures (file not found, bad input) come back as `{ isError: true }` so the model can
 * react; only infrastructure failures throw.
 */
import type { TSchema } from '@sinclair/typebox';

export interface ToolContext {
  /** absolute path of the workspace root; every path a tool touches must resolve inside it */
  readonly root: string;
  readonly signal?: AbortSignal;
  /** who is running the tool: recorded with the artifacts it produces */
  readonly producer: { readonly address: string; readonly effectId: string };
  /** records a file the tool wrote (content hash, size, producing turn) */
  readonly recordArtifact?: (artifact: { path: string; sha256: string; size: number }) => void;
}

export interface ToolResult {
  readonly output: string;
  readonly isError: boolean;
}

export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: TSchema;
  /** true: the agent waits in `awaiting_approval` until approved or denied */
  readonly needsApproval?: boolean;
  run(input: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}
