/**
 * The context policy: what part of a conversation a provider call sends, so a long conversation
 * never exceeds the model's context window and never resends an unbounded history.
 *
 * Budget: the model's window (contextWindows.ts) minus the reply's `max_tokens`, the system prompt
 * and the tool schemas, with a 10 % margin for the estimate (about four characters per token, the
 * same estimate rate limits reserve with, estimate.ts). A conversation within the budget is sent
 * whole and unchanged — byte for byte the prefix of the previous call, which is what prompt
 * caching needs (anthropicWire.ts).
 *
 * Over the budget it is truncated, never reordered:
 *   1. the task's prompt (the first message) is always kept: it says what the agent is for;
 *   2. then the most recent messages, from a user message on (an assistant's tool calls are never
 *      separated from their results), as many as fit in {@link KEEP_FRACTION} of the budget; the
 *      oldest are dropped in chunks of the remaining quarter, so the cut stays put while the
 *      conversation grows by less than a chunk and the cached prefix survives those calls;
 *   3. a note in place of what was left out: `[context] N earlier messages (~T tokens) were left
 *      out to fit the model's context window.`
 *   4. if even the newest turn alone is over the budget, its longest contents (tool outputs,
 *      usually) are shortened, keeping their head and tail.
 * Nothing is summarised: a summary is another model call, whose output would have to be
 * journaled like any reply to keep replay exact; truncation is deterministic and free.
 * The whole history stays in the agent's state, the journal and messages.db; only what is sent
 * is bounded.
 */
import type { AgentMessage } from '../../actors/index.js';
import { DEFAULT_MAX_TOKENS } from './estimate.js';
import type { ToolDefinition } from './provider.js';

export const CHARS_PER_TOKEN = 4;
export const SAFETY_MARGIN = 0.1;
export const KEEP_FRACTION = 0.75;
/** a shortened content keeps at least this many characters */
const MIN_CONTENT_CHARS = 2_000;
/** the note in place of what was left out */
const NOTE_TOKENS = 40;

export const CONTEXT_NOTE_PREFIX = '[context]';

export interface ContextLimits {
  /** the model's context window, tokens */
  readonly window: number;
  readonly maxTokens?: number;
  readonly system?: string;
  readonly tools?: readonly ToolDefinition[];
}

export interface FittedContext {
  readonly messages: readonly AgentMessage[];
  /** messages left out (0: sent whole) */
  readonly omitted: number;
  /** messages whose content was shortened */
  readonly shortened: number;
  /** estimated input tokens of what is sent (messages only) */
  readonly tokens: number;
  readonly budget: number;
}

function charsOf(m: AgentMessage): number {
  return m.content.length + (m.role === 'assistant' ? JSON.stringify(m.toolCalls).length : 0) + 16;
}

export function tokensOf(messages: readonly AgentMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += charsOf(m);
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Tokens the messages may take: the window less the reply, system prompt, tools and the margin. */
export function messageBudget(limits: ContextLimits): number {
  let fixed = (limits.system?.length ?? 0) / CHARS_PER_TOKEN;
  for (const t of limits.tools ?? [])
    fixed += (t.name.length + t.description.length + JSON.stringify(t.inputSchema).length) / CHARS_PER_TOKEN;
  const usable = limits.window * (1 - SAFETY_MARGIN) - (limits.maxTokens ?? DEFAULT_MAX_TOKENS) - fixed;
  return Math.max(0, Math.floor(usable));
}

/** Where a kept suffix may start: a user message (not a tool result). */
const startsTurn = (m: AgentMessage) => m.role === 'user';

function shorten(m: AgentMessage, chars: number): AgentMessage {
  const cut = m.content.length - chars;
  const head = m.content.slice(0, Math.ceil(chars / 2));
  const tail = m.content.slice(m.content.length - Math.floor(chars / 2));
  return { ...m, content: `${head}\n[… ${cut} characters left out …]\n${tail}` };
}

/**
 * The messages to send for `limits`.
 *
 * @example fitToContext(context.messages, { window: 200_000, maxTokens: 4096 }).messages
 */
export function fitToContext(messages: readonly AgentMessage[], limits: ContextLimits): FittedContext {
  const budget = messageBudget(limits);
  const total = tokensOf(messages);
  if (total <= budget || messages.length <= 1)
    return { messages, omitted: 0, shortened: 0, tokens: total, budget };

  const [first, ...rest] = messages as [AgentMessage, ...AgentMessage[]];
  // Tokens before each message of `rest`, and what the kept part may take.
  const before: number[] = [];
  let restTotal = 0;
  for (const m of rest) {
    before.push(restTotal);
    restTotal += Math.ceil(charsOf(m) / CHARS_PER_TOKEN);
  }
  const room = Math.floor(budget * KEEP_FRACTION) - tokensOf([first]) - NOTE_TOKENS;
  // Drop whole chunks of the oldest messages: the cut moves only when the conversation has grown
  // by a chunk, so the calls in between send the same prefix (cache hits).
  const chunk = Math.max(1, Math.floor(budget * (1 - KEEP_FRACTION)));
  const dropTo = Math.ceil(Math.max(0, restTotal - room) / chunk) * chunk;
  let from = rest.findIndex((m, i) => startsTurn(m) && before[i]! >= dropTo);
  if (from === -1) from = Math.max(0, rest.findLastIndex(startsTurn)); // the newest turn, at least
  let kept = rest.slice(from);
  const omittedMessages = rest.slice(0, from);
  const out: AgentMessage[] = [first];
  if (omittedMessages.length > 0)
    out.push({
      role: 'user',
      content: `${CONTEXT_NOTE_PREFIX} ${omittedMessages.length} earlier messages (~${tokensOf(omittedMessages)} tokens) were left out to fit the model's context window.`,
    });

  // Still over the budget: shorten the longest contents (the newest turn is never dropped).
  let shortened = 0;
  let over = tokensOf([...out, ...kept]) - budget;
  while (over > 0) {
    let longest = -1;
    for (let i = 0; i < kept.length; i++)
      if (
        kept[i]!.content.length > MIN_CONTENT_CHARS &&
        (longest === -1 || kept[i]!.content.length > kept[longest]!.content.length)
      )
        longest = i;
    if (longest === -1) break;
    const m = kept[longest]!;
    const keep = Math.max(MIN_CONTENT_CHARS, m.content.length - over * CHARS_PER_TOKEN - 200);
    kept = kept.map((k, i) => (i === longest ? shorten(m, keep) : k));
    shortened++;
    over = tokensOf([...out, ...kept]) - budget;
  }
  const sent = [...out, ...kept];
  return { messages: sent, omitted: omittedMessages.length, shortened, tokens: tokensOf(sent), budget };
}
