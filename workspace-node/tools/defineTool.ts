/**
 * `defineTool` turns a typed tool description into a {@link Tool} that validates its own input
 * (TypeBox, compiled once; an invalid input is `MOE_ERR_TOOL_INPUT` with the JSON path) and maps
 * tool-level errors to `{ isError: true }` results (see `result.ts`), so callers of `tool.run` get
 * the same guarantees whether or not they go through a toolset.
 */
import type { Static, TObject } from '@sinclair/typebox';
import { SchemaError, validator } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { errorResult, fail } from './result.js';
import type { Tool, ToolContext, ToolResult } from './tool.js';

export interface ToolSpec<S extends TObject> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: S;
  readonly needsApproval?: boolean;
  run(input: Static<S>, ctx: ToolContext): Promise<ToolResult>;
}

/**
 * @example
 *   const echo = defineTool({
 *     name: 'echo', description: 'Echo the text.', inputSchema: Type.Object({ text: Type.String() }),
 *     async run({ text }) { return ok(text); },
 *   });
 */
export function defineTool<S extends TObject>(spec: ToolSpec<S>): Tool {
  const check = validator(spec.inputSchema, `${spec.name} input`);
  return {
    name: spec.name,
    description: spec.description,
    inputSchema: spec.inputSchema,
    ...(spec.needsApproval === undefined ? {} : { needsApproval: spec.needsApproval }),
    async run(input: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> {
      let valid: Static<S>;
      try {
        valid = check(input);
      } catch (err) {
        if (err instanceof SchemaError) return fail(errors.TOOL_INPUT(err.message));
        throw err;
      }
      try {
        return await spec.run(valid, ctx);
      } catch (err) {
        const path = typeof input.path === 'string' ? input.path : '.';
        const result = errorResult(err, path);
        if (result) return result;
        throw err;
      }
    },
  };
}
