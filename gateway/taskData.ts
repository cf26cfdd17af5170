/**
 * The `task.submit` data a gateway request turns into: the project's agent config (profile, step
 * budget, and every other field the agent's TaskSubmit schema accepts — provider, model, system
 * prompt, the list of tools that need approval) overlaid with what the request body says. Fields
 * are passed only when schemas/commands.ts TaskSubmit declares them, so the command never fails
 * validation in the kernel (which would dead-letter it) while the two sides evolve separately.
 */
import { CoordinatorSubmit, TaskSubmit } from '../schemas/index.js';
import type { AgentConfig } from '../schemas/index.js';

/** Names the agent contract may give the approval list; the project config calls it `approval`. */
const APPROVAL_FIELDS = ['approvalRequired', 'approval'] as const;

function accepted(): Set<string> {
  return new Set(Object.keys((TaskSubmit as { properties?: Record<string, unknown> }).properties ?? {}));
}

/**
 * @example
 *   taskSubmitData({ name: 'coder', maxSteps: 8, approval: ['shell'] }, { prompt: 'fix the bug' })
 *   // → { profile: 'coder', maxSteps: 8, approval: ['shell'], prompt: 'fix the bug' } (when TaskSubmit has `approval`)
 */
export function taskSubmitData(
  config: AgentConfig | undefined,
  body: { prompt: string; profile?: string; script?: unknown[]; maxSteps?: number },
): Record<string, unknown> {
  const fields = accepted();
  const out: Record<string, unknown> = {};
  if (config) {
    out.profile = config.profile ?? config.name;
    for (const [k, v] of Object.entries(config)) {
      if (k === 'name' || k === 'profile' || k === 'approval' || v === undefined) continue;
      if (fields.has(k)) out[k] = v;
    }
    const approvalField = APPROVAL_FIELDS.find((f) => fields.has(f));
    if (config.approval && config.approval.length > 0 && approvalField) out[approvalField] = config.approval;
  }
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The coordinator's `task.submit` (CoordinatorSubmit) for a mixture-of-experts REST task: the
 * fields of `base` a coordinator accepts, the MoE fields given, and the project for every expert.
 */
export function coordinatorSubmitData(
  base: Record<string, unknown>,
  moe: Record<string, unknown>,
  project: string,
): Record<string, unknown> {
  const fields = new Set(Object.keys(CoordinatorSubmit.properties));
  const out: Record<string, unknown> = { project };
  for (const [k, v] of Object.entries({ ...base, ...moe })) if (v !== undefined && fields.has(k)) out[k] = v;
  return out;
}
