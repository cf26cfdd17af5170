/**
 * Drives one actor kind's pure XState machine: restore a persisted snapshot, apply one event,
 * and sort the resulting actions into effects, emitted domain events and cancellations.
 *
 * Why not `xstate.transition()` directly: it builds a throw-away actor for every call, which costs
 * more than the transition itself. We build one inert actor scope per kind and reuse it; the
 * scope only collects actions, it never executes them. (Same semantics, ~3× the throughput.)
 *
 * That scope is XState internals, so xstate is pinned to the exact version this was checked
 * against (package.json), and test/unit/machineHost.equivalence.test.ts drives every registered
 * machine through both this host and the public `transition()`: upgrade xstate only with it green.
 *
 * Finished states that still take commands (tag `finished`, e.g. an agent that answered and waits
 * for a follow-up): XState calls them `active`; we persist them as `done`, the status a final
 * state had before, and restore a `done` snapshot whose state is such a state as `active` again.
 * So a snapshot stored by an older build (agent `done` was final) restores into a state that
 * accepts a follow-up message, and replaying an old journal reproduces the stored snapshots.
 */
import { createActor, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { DomainEvent, EffectSpec } from '../../schemas/index.js';
import { FAILED_TAG, FINISHED_TAG, type KernelEvent } from '../contract.js';

export interface TurnOutcome {
  readonly next: AnyMachineSnapshot;
  /** false when the machine had no transition for the event (state unchanged) */
  readonly accepted: boolean;
  readonly effects: EffectSpec[];
  readonly emits: DomainEvent[];
  readonly cancels: string[];
}

interface CollectedAction {
  type: string;
  params?: unknown;
}

export class MachineHost {
  private readonly scope: Record<string, unknown>;
  private collected: CollectedAction[] = [];
  private initialSnapshot: AnyMachineSnapshot | undefined;

  constructor(readonly machine: AnyStateMachine) {
    const self = createActor(machine);
    this.scope = {
      self,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: self.system,
      emit: () => {},
      actionExecutor: (a: CollectedAction) => this.collected.push(a),
    };
  }

  /**
   * The machine's initial snapshot. Computed once: machines take no input, so it is the same for
   * every actor, and snapshots are immutable (a transition returns a new one).
   */
  initial(): AnyMachineSnapshot {
    if (!this.initialSnapshot) {
      this.collected = [];
      this.initialSnapshot = this.machine.getInitialSnapshot(this.scope as never, undefined);
      this.collected = [];
    }
    return this.initialSnapshot;
  }

  restore(persisted: unknown): AnyMachineSnapshot {
    const snapshot = this.machine.restoreSnapshot(persisted as never, this.scope as never);
    if (snapshot.status !== 'done' || !snapshot.hasTag(FINISHED_TAG)) return snapshot;
    const active = { ...(persisted as Record<string, unknown>), status: 'active' };
    return this.machine.restoreSnapshot(active as never, this.scope as never);
  }

  persist(snapshot: AnyMachineSnapshot): unknown {
    const persisted = this.machine.getPersistedSnapshot(snapshot);
    return snapshot.hasTag(FINISHED_TAG) ? { ...(persisted as object), status: 'done' } : persisted;
  }

  apply(snapshot: AnyMachineSnapshot, event: KernelEvent): TurnOutcome {
    this.collected = [];
    const next = this.machine.transition(snapshot, event, this.scope as never) as AnyMachineSnapshot;
    const effects: EffectSpec[] = [];
    const emits: DomainEvent[] = [];
    const cancels: string[] = [];
    for (const a of this.collected) {
      if (a.type === 'effect') effects.push(a.params as EffectSpec);
      else if (a.type === 'emit') emits.push(a.params as DomainEvent);
      else if (a.type === 'cancel') cancels.push((a.params as { effectId: string }).effectId);
    }
    this.collected = [];
    return { next, accepted: next !== snapshot, effects, emits, cancels };
  }
}

export function stateString(snapshot: AnyMachineSnapshot): string {
  const v: unknown = snapshot.value;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function statusOf(snapshot: AnyMachineSnapshot): 'active' | 'done' | 'error' {
  if (snapshot.hasTag(FAILED_TAG)) return 'error';
  return snapshot.status === 'done' || snapshot.hasTag(FINISHED_TAG) ? 'done' : 'active';
}
