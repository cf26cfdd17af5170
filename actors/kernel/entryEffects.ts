/**
 * The net effect bookkeeping of one journal entry: which effects its turns started that are still
 * pending at its end (to store and start), and which earlier effects it settled (a result came
 * back, a timer fired, or a turn cancelled it). An effect started and cancelled inside the same
 * entry is neither: it never runs.
 */
import type { EffectSpec, TurnRecord } from '../../schemas/index.js';

/** Commands that report on an effect: they settle the effect named by `data.effectId`. */
export const SETTLING = new Set(['effect.result', 'effect.failed', 'timer.fired']);

export interface EntryEffects {
  /** started by this entry, still pending at its end; with the index of the turn that started it */
  readonly started: Array<{ spec: EffectSpec; turnIndex: number }>;
  /** settled by this entry, started before it */
  readonly settled: string[];
}

export function entryEffects(turns: readonly TurnRecord[]): EntryEffects {
  const started = new Map<string, { spec: EffectSpec; turnIndex: number }>();
  const settled: string[] = [];
  turns.forEach((t, turnIndex) => {
    const done = [...t.cancels];
    if (SETTLING.has(t.cmd.type)) done.push(String(t.cmd.data?.effectId));
    for (const id of done) if (!started.delete(id)) settled.push(id);
    for (const spec of t.effects) started.set(spec.id, { spec, turnIndex });
  });
  return { started: [...started.values()], settled };
}
