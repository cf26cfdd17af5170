/**
 * The effects the agent and coordinator machines emit: `llm.call` (one provider call for a step)
 * and `tool.run` (one tool call of an LLM reply). Each comes in two parts:
 *
 *   …Request  the effect as the machine emits it and the journal stores it
 *   …Inputs   what the handler also needs and the machine keeps in its context; the emitting kind
 *             declares how to read it (see `EffectInputs`), and the kernel adds it when the effect
 *             runs, so a turn does not repeat the whole conversation in the journal
 *
 * A handler gets exactly `Request & Inputs` (`SpecOf<'llm.call'>`), never the machine's context.
 */
import type { ScriptStep, ToolCall } from '../schemas/index.js';

/** One message of a conversation, as the agent and coordinator keep it and the providers read it. */
export type AgentMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError: boolean };

export type LlmCallRequest = {
  readonly id: string;
  readonly kind: 'llm.call';
  /** the agent profile (provider/model chain) to call */
  readonly profile: string;
  /** 0-based step of the task: the scripted provider plays this step */
  readonly step: number;
  /** false: offer the model no tools (the coordinator's planning and aggregation calls) */
  readonly tools?: false;
};

export type LlmCallInputs = {
  /** the conversation so far */
  readonly messages: readonly AgentMessage[];
  /** the task's script for the offline `scripted` provider */
  readonly script: readonly ScriptStep[] | null;
  /** the model also gets the `create_card` tool (an agent of a card's lane workflow with cardsTo) */
  readonly cardTool?: true;
};

export type ToolRunRequest = {
  readonly id: string;
  readonly kind: 'tool.run';
  readonly callId: string;
  /** the tool's name */
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** the call was approved (`task.approve`): a tool that needs approval runs only then */
  readonly approved?: true;
};

export type ToolRunInputs = {
  /** the task's project: its tools work in that project's folder (absent: the workspace's files) */
  readonly project?: string;
  /** `create_card` puts new cards beside this card, in `lane` (absent: the tool is not the task's) */
  readonly card?: { readonly id: string; readonly lane: string };
};

/** Effects the agent and coordinator emit, on `kind`. */
export type AgentEffectRequest = LlmCallRequest | ToolRunRequest;
