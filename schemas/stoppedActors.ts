/**
 * A stopped actor's record in the `moe_stopped_actors` KV bucket (key: the actor's address,
 * `<org>.<ws>.<kind>.<id>`). The leading supervisor writes it when a restart policy gives up on an
 * actor (`stop` or `escalate`, supervisor/actorSupervision.ts); every workspace-node watches the
 * bucket and refuses later commands to that actor (dead letter `MOE_ERR_ACTOR_STOPPED`, acked, so
 * the letter can be redriven once the actor runs again). An operator's restart (the console's
 * `POST /console/api/actors/:actor/restart`) deletes the record and the actor's restart history.
 * An `escalate` record names its target (`to`); every gateway follows the bucket and routes it
 * there once (gateway/escalationRouter.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { parseOrNull } from './codec.js';

/** Who hears of an escalation: the actor's coordinator, its org's admins, or the platform's operators. */
export const EscalationTarget = Type.Union([
  Type.Literal('coordinator'),
  Type.Literal('org-admin'),
  Type.Literal('operators'),
]);
export type EscalationTarget = Static<typeof EscalationTarget>;

export const StoppedActor = Type.Object(
  {
    /** the error code of the failure that used the restarts up */
    code: Type.String(),
    reason: Type.String(),
    /** the failed command's id (null: the letter held no command) */
    commandId: Type.Union([Type.String(), Type.Null()]),
    /** restarts counted in the policy's window when it gave up */
    restarts: Type.Number(),
    /** ms since the epoch */
    at: Type.Number(),
    /** the supervisor that decided */
    decidedBy: Type.String(),
    /** what the policy decided: `stop`, or `escalate` (which also stops) */
    action: Type.Union([Type.Literal('stop'), Type.Literal('escalate')]),
    /** `escalate`: who hears of it (absent on `stop`, and on records written before it was kept) */
    to: Type.Optional(EscalationTarget),
  },
  { $id: 'StoppedActor' },
);
export type StoppedActor = Static<typeof StoppedActor>;

/** The record in a KV value, or null when it is not one (never throws). */
export const parseStoppedActor: (bytes: Uint8Array) => StoppedActor | null = parseOrNull(StoppedActor);

/**
 * Where the supervisor keeps an actor's restart history (KV `moe_nodes`, supervisor/restartHistory.ts):
 * the operator's restart deletes it too, so the actor starts with a fresh set of restarts.
 */
export const RESTART_HISTORY_KEY_PREFIX = '_supervisor.restarts.';

export function restartHistoryKey(actor: string): string {
  return `${RESTART_HISTORY_KEY_PREFIX}${actor}`;
}
