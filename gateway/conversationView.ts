/**
 * An agent's conversation as the REST API pages it, read from the agent's journal turns: the
 * task's prompt (`task.submit`), every follow-up message the agent accepted (`message.accepted`)
 * and every reply of the model (`agent.replied`). These are the rows the workspace node projects
 * into messages.db; the gateway holds no state, so it reads them from the journal it already
 * follows. Messages are in journal order — a message sent while the agent worked appears where it
 * arrived, before the answer the agent was writing then.
 *
 * The cursor is the agent's turn number: a page holds whole turns, and `nextCursor` is the last
 * turn it holds (`null` when there is nothing after it).
 */
import { ofType, validEvents } from '../schemas/index.js';
import type { SeqRecord } from './bus.js';

export interface ConversationMessage {
  /** the agent turn that recorded it (the cursor unit) */
  turn: number;
  /** MOE_EVT sequence of the journal entry */
  seq: number;
  role: 'user' | 'assistant';
  content: string;
  /** epoch ms the command of that turn was stored */
  at: number;
  /** assistant only: tool calls the reply made */
  tools?: number;
  /** user only: the message started a fresh conversation (the agent answered it without the earlier ones) */
  cleared?: true;
}

export interface ConversationPage {
  messages: ConversationMessage[];
  nextCursor: number | null;
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** The messages of one turn, user first. */
export function messagesOf(r: SeqRecord): ConversationMessage[] {
  const base = { turn: r.rec.turn, seq: r.seq, at: r.rec.cmd.at };
  const out: ConversationMessage[] = [];
  const events = validEvents(r.rec.events);
  const prompt = r.rec.cmd.data?.prompt;
  if (r.rec.cmd.type === 'task.submit' && typeof prompt === 'string' && r.rec.turn === 1)
    out.push({ ...base, role: 'user', content: prompt });
  for (const e of events.filter(ofType('message.accepted')))
    out.push({ ...base, role: 'user', content: e.text, ...(e.cleared ? { cleared: true as const } : {}) });
  for (const e of events.filter(ofType('agent.replied')))
    out.push({ ...base, role: 'assistant', content: e.text, tools: e.tools });
  return out;
}

/** One page of the conversation after turn `cursor`, at most `limit` messages (whole turns). */
export function conversationPage(
  records: readonly SeqRecord[],
  cursor: number,
  limit: number,
): ConversationPage {
  const messages: ConversationMessage[] = [];
  let last: number | null = null;
  let more = false;
  for (const r of records) {
    if (r.rec.turn <= cursor) continue;
    const turn = messagesOf(r);
    if (turn.length === 0) continue;
    if (messages.length > 0 && messages.length + turn.length > limit) {
      more = true;
      break;
    }
    messages.push(...turn);
    last = r.rec.turn;
  }
  return { messages, nextCursor: more ? last : null };
}
