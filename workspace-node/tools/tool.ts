/**
 * The tool interface: what an agent can do to its workspace. Every tool is confined to the
 * workspace root (see `confine.ts`); its input is validated against `inputSchema` before `run`
 * (tools built with `defineTool` validate themselves, so a direct `tool.run` is as safe as
 * `toolset.run`).
 *
 * Error policy — results, not throws, for anything the model caused or can fix:
 * - tool-level failures (bad input, file not found, too large, ambiguous edit, a path that escapes
 *   the workspace) come back as `{ isError: true, output, code }` so the model sees a clear refusal
 *   and can react; the kernel journals them like any other result and never retries them;
 * - only infrastructure failures (disk full, I/O error) throw, so the kernel can retry the effect.
 * A path escape is refused before any file is opened: the outside file is never read or created.
 */
import type { TSchema } from '@sinclair/typebox';
import type { WriteLedger } from './writeLedger.js';

export interface ToolContext {
  /** absolute path of the workspace root; every path a tool touches must resolve inside it */
  readonly root: string;
  readonly signal?: AbortSignal;
  /** who is running the tool: recorded with the artifacts it produces */
  readonly producer: { readonly address: string; readonly effectId: string };
  /**
   * records a file the tool wrote (content hash, size); the tool passes `ctx.producer` along, so
   * one callback (e.g. `artifactRecorder(store, clock)`) can serve every call of a workspace
   */
  readonly recordArtifact?: (
    artifact: { path: string; sha256: string; size: number },
    producer: { readonly address: string; readonly effectId: string },
  ) => void;
  /** where `edit_file` records a write before making it, so a re-run of the effect never re-applies it */
  readonly writes?: WriteLedger;
}

export interface ToolResult {
  readonly output: string;
  readonly isError: boolean;
  /** the stable `MOE_ERR_…` code of a tool-level failure (also at the start of `output`) */
  readonly code?: string;
}

export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: TSchema;
  /** true: the agent waits in `awaiting_approval` until approved or denied */
  readonly needsApproval?: boolean;
  run(input: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}
