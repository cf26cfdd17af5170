/**
 * The `scripted` provider: deterministic and offline, the default when no API key is configured,
 * so the platform runs anywhere. It plays a task's `script` step by step (text, tool calls, a
 * per-step delay, a pause between streamed chunks), or — with no script — a built-in three-step plan that exercises the tools.
 * Every reply says it came from `scripted`, so nobody mistakes it for a model.
 */
import type { ScriptStep, ToolCall } from '../../schemas/index.js';
import { systemClock } from '../../actors/kernel/index.js';
import { errors } from '../errors.js';
import type { ChatRequest, Provider, ProviderEvent } from './provider.js';

export const SCRIPTED_MODEL = 'scripted-v1';

export interface ScriptedOptions {
  /** added to every step's own delay (ms) */
  readonly stepDelayMs?: number;
  /** the script used when a task brings none */
  readonly defaultScript?: (prompt: string) => ScriptStep[];
}

/** The demo plan: write a plan file, list the workspace, then answer. */
export function demoScript(prompt: string): ScriptStep[] {
  const slug = prompt.slice(0, 60).replace(/\s+/g, ' ').trim();
  return [
    {
      text: `[scripted] Planning: "${slug}". I will write a plan, check the workspace, then answer.`,
      toolCalls: [
        {
          name: 'write_file',
          input: {
            path: 'notes/plan.md',
            content: `# Plan\n\nTask: ${slug}\n\n1. Outline\n2. Check\n3. Answer\n`,
          },
        },
      ],
    },
    {
      text: '[scripted] Plan written; listing the workspace.',
      toolCalls: [{ name: 'list_files', input: { path: '.' } }],
    },
    { text: `[scripted] Done: "${slug}" — plan in notes/plan.md, workspace checked.` },
  ];
}

/**
 * A follow-up message (the conversation has a user message after an answer, or a user message
 * alone after the task's first step: a follow-up that cleared the conversation) past the end of
 * the script: a reply that shows what the model was given — the message and how much context came
 * with it — so an offline conversation can be followed and tested.
 */
export function followUpAnswer(req: Pick<ChatRequest, 'messages' | 'step'>): ScriptStep | undefined {
  const last = req.messages.at(-1);
  const users = req.messages.filter((m) => m.role === 'user' && !m.content.startsWith('[context]'));
  if (!last || last.role !== 'user' || (users.length < 2 && req.step === 0)) return undefined;
  return {
    text: `[scripted] Reply to "${last.content.slice(0, 200)}" with ${req.messages.length - 1} earlier messages as context.`,
  };
}

function tokensOf(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function scriptedProvider(options: ScriptedOptions = {}): Provider {
  const fallback = options.defaultScript ?? demoScript;
  return {
    name: 'scripted',
    offline: true,
    async *stream(req: ChatRequest): AsyncIterable<ProviderEvent> {
      const firstUser = req.messages.find((m) => m.role === 'user');
      const script = req.script ?? fallback(firstUser?.content ?? '');
      const step = script[req.step] ?? followUpAnswer(req);
      if (!step) throw errors.SCRIPT_EXHAUSTED(`step ${req.step} of ${script.length}`);
      const delay = (step.delayMs ?? 0) + (options.stepDelayMs ?? 0);
      if (delay > 0) await systemClock.sleep(delay, req.signal);
      const text = step.text ?? '';
      // Deltas in word-sized chunks, like a real stream; `chunkDelayMs` spaces them out in time.
      for (const [i, chunk] of (text.match(/\S+\s*/g) ?? []).entries()) {
        if (i > 0 && step.chunkDelayMs) await systemClock.sleep(step.chunkDelayMs, req.signal);
        yield { type: 'text', delta: chunk };
      }
      for (const [i, c] of (step.toolCalls ?? []).entries()) {
        const call: ToolCall = { id: `${req.idempotencyKey}-t${i}`, name: c.name, input: c.input };
        yield { type: 'tool_call', call };
      }
      const input = req.messages.reduce((n, m) => n + tokensOf(m.content), 0);
      yield {
        type: 'done',
        stopReason: step.toolCalls?.length ? 'tool_use' : 'end_turn',
        usage: { inputTokens: input, outputTokens: tokensOf(text), cacheReadTokens: 0, cacheWriteTokens: 0 },
        model: SCRIPTED_MODEL,
      };
    },
  };
}
