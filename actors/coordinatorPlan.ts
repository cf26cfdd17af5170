/**
 * Pure helpers of the coordinator: the planning prompt, reading a plan out of a model's reply, and
 * joining the experts' results. A plan is JSON `{"subtasks":[{"prompt","profile"?,"script"?}]}`
 * anywhere in the reply text; whatever cannot become a valid `task.submit` for a child is dropped
 * here, because a child command that fails its schema would be dead-lettered and the coordinator
 * would wait for it forever.
 */
import type { ScriptStep, Subtask } from '../schemas/index.js';

export const MAX_SUBTASKS = 16;

export interface ChildState {
  ref: string;
  prompt: string;
  profile: string;
  status: 'running' | 'completed' | 'failed';
  result: string | null;
}

export function planPrompt(prompt: string, experts: readonly string[]): string {
  const who = experts.length ? ` Expert profiles: ${experts.join(', ')}.` : '';
  return (
    `${prompt}\n\nPlan this task for a team of experts. Reply with JSON only: ` +
    `{"subtasks":[{"prompt":"…","profile":"…"}]}. Subtasks run in parallel, so make them independent.${who}`
  );
}

export function aggregatePrompt(children: readonly ChildState[]): string {
  const parts = children.map((c) => `### ${c.ref} (${c.profile})\n${c.result ?? ''}`);
  return `The experts answered:\n\n${parts.join('\n\n')}\n\nCombine their answers into one final answer to the task.`;
}

export function concatResults(children: readonly ChildState[]): string {
  return children.map((c) => `## ${c.ref} (${c.profile})\n${c.result ?? ''}`).join('\n\n');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cleanScript(raw: unknown): ScriptStep[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const steps: ScriptStep[] = [];
  for (const s of raw.slice(0, 100)) {
    if (!isRecord(s)) return undefined;
    const step: ScriptStep = {};
    if (typeof s.text === 'string') step.text = s.text;
    if (Number.isInteger(s.delayMs) && (s.delayMs as number) >= 0 && (s.delayMs as number) <= 600_000)
      step.delayMs = s.delayMs as number;
    if (Array.isArray(s.toolCalls)) {
      const calls = s.toolCalls.filter(
        (c): c is { name: string; input: Record<string, unknown> } =>
          isRecord(c) && typeof c.name === 'string' && isRecord(c.input),
      );
      step.toolCalls = calls.map((c) => ({ name: c.name, input: c.input }));
    }
    steps.push(step);
  }
  return steps;
}

/**
 * The subtasks of a plan reply, or null when the text holds no usable plan. Profiles outside
 * `experts` (when given) become the first expert.
 */
export function parsePlan(text: string, experts: readonly string[]): Subtask[] | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end + 1));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.subtasks)) return null;
  const out: Subtask[] = [];
  for (const raw of parsed.subtasks.slice(0, MAX_SUBTASKS)) {
    if (!isRecord(raw) || typeof raw.prompt !== 'string' || raw.prompt.trim() === '') continue;
    const named = typeof raw.profile === 'string' && raw.profile.length <= 64 ? raw.profile : undefined;
    const profile = experts.length && (named === undefined || !experts.includes(named)) ? experts[0] : named;
    const script = cleanScript(raw.script);
    out.push({
      prompt: raw.prompt.slice(0, 100_000),
      ...(profile ? { profile } : {}),
      ...(script ? { script } : {}),
    });
  }
  return out.length ? out : null;
}
