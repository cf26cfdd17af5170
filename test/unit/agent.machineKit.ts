/**
 * Walks a pure machine with xstate's `transition()` the way the kernel does: every event is a
 * KernelEvent with the next turn number; the effects and emitted events of each turn are returned.
 * Every emitted event is decoded against its schema, so a machine test fails on an event that
 * breaks its schema in `schemas/events.ts`.
 */
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { decodeEvent } from '../../schemas/index.js';

export interface Turn {
  readonly snapshot: AnyMachineSnapshot;
  readonly effects: Record<string, unknown>[];
  readonly emits: Record<string, unknown>[];
}

export function walker(machine: AnyStateMachine) {
  let [snapshot] = initialTransition(machine);
  let turn = 0;
  return {
    get snapshot() {
      return snapshot;
    },
    get state(): string {
      return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
    },
    send(type: string, data: Record<string, unknown> = {}): Turn {
      turn++;
      const event = { type, data, id: `c${turn}`, at: 1_700_000_000_000 + turn, turn, session: 's1' };
      const [next, actions] = transition(machine, snapshot, event);
      snapshot = next;
      const params = (t: string) =>
        actions.filter((a) => a.type === t).map((a) => a.params as Record<string, unknown>);
      const emits = params('emit');
      for (const e of emits) decodeEvent(e);
      return { snapshot, effects: params('effect'), emits };
    },
  };
}

export const usage = (input: number, output: number) => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

export function llmReply(
  text: string,
  toolCalls: { id: string; name: string; input: Record<string, unknown> }[] = [],
  extra: Record<string, unknown> = {},
) {
  return {
    text,
    toolCalls,
    stopReason: toolCalls.length ? 'tool_use' : 'end_turn',
    usage: usage(10, 5),
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    costMicros: 35,
    priceMicros: 175,
    markup: 5,
    ...extra,
  };
}
