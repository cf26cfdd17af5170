/**
 * Follow-up messages to an agent (seed 001 `receive(agentId, message)`), as pure helpers of the
 * agent machine. An agent that answered waits in `done`; `agent.message` opens a new turn of the
 * conversation there, or waits in the agent's inbox while it is still working on one, and the
 * inbox is answered in arrival order.
 *
 * A message with `clear` starts the conversation afresh: the agent answers it with only that
 * message in its context (the system prompt comes from its profile, as for the task's prompt).
 *
 * A turn of the conversation gets its own step budget (`maxSteps` counts from `stepsFrom`), and
 * its own scripted-provider steps: the message's `script` is played after the steps already
 * played, so the `llm.call` step number stays the task's global step.
 */
import type { ScriptStep } from '../schemas/index.js';
import type { AgentMessage } from './agentEffects.js';

/** A message waiting for the agent to finish the turn it is in. */
export interface QueuedMessage {
  readonly text: string;
  readonly script: ScriptStep[] | null;
  /** answer it with a fresh conversation (absent: after the earlier messages) */
  readonly clear?: true;
}

/** The queued form of an `agent.message` command's data. */
export function queuedMessage(d: { text: string; script?: ScriptStep[]; clear?: boolean }): QueuedMessage {
  return { text: d.text, script: d.script ?? null, ...(d.clear === true ? { clear: true as const } : {}) };
}

/** What a conversation turn changes in the agent's context when it starts. */
export interface ConversationStart {
  messages: AgentMessage[];
  script: ScriptStep[] | null;
  stepsFrom: number;
  followUps: number;
  result: null;
}

/**
 * The context changes that start answering `message` after `step` steps: the message joins the
 * conversation, and its script (if any) is laid after the steps already played.
 */
export function startFollowUp(
  c: {
    messages: AgentMessage[];
    script: ScriptStep[] | null;
    step: number;
    followUps?: number;
  },
  message: QueuedMessage,
): ConversationStart {
  let script = c.script;
  if (message.script) {
    const played: ScriptStep[] = (c.script ?? []).slice(0, c.step);
    while (played.length < c.step) played.push({});
    script = [...played, ...message.script];
  }
  return {
    messages: [...(message.clear ? [] : c.messages), { role: 'user', content: message.text }],
    script,
    stepsFrom: c.step,
    followUps: (c.followUps ?? 0) + 1,
    result: null,
  };
}

/** Steps taken in the current turn of the conversation (the whole task before any follow-up). */
export function stepsThisTurn(c: { step: number; stepsFrom?: number }): number {
  return c.step - (c.stepsFrom ?? 0);
}
