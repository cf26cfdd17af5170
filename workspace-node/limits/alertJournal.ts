/**
 * Journals each budget alert the limiter wins as the domain event `budget.alert` on MOE_EVT, in a
 * well-formed journal entry of the budget's pseudo-actor `moe.evt.<org>.<ws>.budget.<id>`
 * (schemas/budgets.ts), so every journal reader — the workspace's event stream, the webhook
 * dispatcher — reads it like any actor's turn. The publish carries the alert's stable id as
 * `Nats-Msg-Id`: a repeat within JetStream's duplicate window is dropped by the server.
 *
 * The alert was already marked in KV (the once-per-period decision) and is pending there until
 * the limiter confirms this publish; a publish that fails is retried here a few times, then left
 * pending for the next settlement of the budget to publish again (limiter.ts).
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { systemClock, type Clock } from '../../actors/kernel/index.js';
import {
  budgetActorId,
  eventSubject,
  type ActorAddress,
  type BudgetAlert,
  type JournalEntry,
} from '../../schemas/index.js';
import type { AlertSink } from './limiter.js';

const encoder = new TextEncoder();

/** The journal entry carrying one alert: turn `seq` of the budget's pseudo-actor. */
export function alertEntry(alert: BudgetAlert, address: ActorAddress, seq: number): JournalEntry {
  return {
    v: 2,
    actor: address,
    session: 'budget',
    turns: [
      {
        turn: seq,
        cmd: { id: alert.id, type: 'budget.cross', at: alert.at },
        state: 'alerted',
        status: 'active',
        events: [alert],
        effects: [],
        cancels: [],
      },
    ],
  };
}

/**
 * @example createLimiter({ kv, onAlert: journalAlertSink(js) })
 */
export function journalAlertSink(js: JetStreamClient, clock: Clock = systemClock, attempts = 3): AlertSink {
  return async (alert, { ws, seq }) => {
    const address: ActorAddress = {
      org: alert.org,
      ws,
      kind: 'budget',
      id: budgetActorId({ kind: alert.scope, org: alert.org, id: alert.scopeId }),
    };
    const bytes = encoder.encode(JSON.stringify(alertEntry(alert, address, seq)));
    for (let i = 1; ; i++) {
      try {
        await js.publish(eventSubject(address), bytes, { msgID: alert.id });
        return;
      } catch (err) {
        if (i >= attempts) throw err;
        await clock.sleep(200 * 2 ** (i - 1));
      }
    }
  };
}
