/**
 * Which actors a card's terminal follows, learned from the card's journal: every `run.started`
 * event (one per agent step of a lane workflow, see docs/api.md#card-terminal) names the actor that
 * runs the step (`actor: { kind, id }`, same org and workspace as the card) and the run it belongs
 * to. The terminal shows that actor's turns and live deltas under the run's id. The event is read
 * through its own narrow schema, so the terminal does not depend on the rest of the card's events.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Token, type ActorAddress, type JournalRecord } from '../../schemas/index.js';

/** The fields of `run.started` the terminal relies on (other fields are allowed). */
export const RunStartedRef = Type.Object({
  type: Type.Literal('run.started'),
  runId: Type.String({ minLength: 1, maxLength: 200 }),
  actor: Type.Object({ kind: Token, id: Token }),
  agent: Type.Optional(Type.String()),
  lane: Type.Optional(Type.String()),
  step: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type RunStartedRef = Static<typeof RunStartedRef>;
const isRunStarted = TypeCompiler.Compile(RunStartedRef);

/** One followed actor: the run step it serves. */
export interface RunRef {
  readonly runId: string;
  readonly agent: string | null;
  readonly lane: string | null;
  readonly step: number | null;
  readonly actor: { readonly kind: string; readonly id: string };
}

const keyOf = (a: { kind: string; id: string }) => `${a.kind}.${a.id}`;

export class RunIndex {
  private readonly byActor = new Map<string, RunRef>();

  constructor(readonly card: ActorAddress) {}

  /** Learns the actors named by the `run.started` events of one of the card's turns. */
  learn(rec: JournalRecord): RunRef[] {
    if (!this.isCard(rec.actor)) return [];
    const found: RunRef[] = [];
    for (const e of rec.events) {
      if (e.type !== 'run.started' || !isRunStarted.Check(e)) continue;
      const ref: RunRef = {
        runId: e.runId,
        agent: e.agent ?? null,
        lane: e.lane ?? null,
        step: e.step ?? null,
        actor: { kind: e.actor.kind, id: e.actor.id },
      };
      this.byActor.set(keyOf(ref.actor), ref);
      found.push(ref);
    }
    return found;
  }

  isCard(a: { org?: string; ws?: string; kind: string; id: string }): boolean {
    return a.kind === this.card.kind && a.id === this.card.id;
  }

  /** The run an actor serves (null: not one of this card's). */
  runOf(a: { kind: string; id: string }): RunRef | null {
    return this.byActor.get(keyOf(a)) ?? null;
  }

  /** Addresses of every actor learned so far. */
  actors(): ActorAddress[] {
    return [...this.byActor.values()].map((r) => ({ org: this.card.org, ws: this.card.ws, ...r.actor }));
  }
}
