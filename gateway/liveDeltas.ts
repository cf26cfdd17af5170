/**
 * The gateway's reader of live deltas (`moe.live.…`, core NATS): coalesced LLM text that a
 * workspace-node publishes while an agent streams (schemas/liveDelta.ts). A subscription hands each
 * delta, decoded and with the actor its subject names, to a callback; a message that does not decode
 * is skipped (deltas are at-most-once previews, the journal has the text). Used by the WS/SSE
 * streams when a client asks for `deltas=1` and by the card terminal.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { liveDeltaCodec, type ActorAddress, type LiveDelta } from '../schemas/index.js';

/** A delta as the streams send it: the live message plus the actor it belongs to. */
export interface DeltaEvent extends LiveDelta {
  actor: { kind: string; id: string };
}

export interface DeltaSubscription {
  close(): void;
}

/** The actor of `moe.live.<org>.<ws>.<kind>.<id>`, or null for any other subject. */
export function liveActor(subject: string): ActorAddress | null {
  const t = subject.split('.');
  if (t.length !== 6 || t[0] !== 'moe' || t[1] !== 'live') return null;
  const [, , org, ws, kind, id] = t as [string, string, string, string, string, string];
  return { org, ws, kind, id };
}

/**
 * @example
 *   const sub = subscribeDeltas(nc, liveSubject(agent), (d) => socket.send(JSON.stringify(d)));
 *   sub.close();
 */
export function subscribeDeltas(
  nc: NatsConnection,
  subject: string,
  onDelta: (delta: DeltaEvent) => void,
): DeltaSubscription {
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const actor = liveActor(msg.subject);
      if (!actor) return;
      let delta: LiveDelta;
      try {
        delta = liveDeltaCodec.decode(msg.data);
      } catch {
        return; // not a delta: previews are best effort
      }
      onDelta({ ...delta, actor: { kind: actor.kind, id: actor.id } });
    },
  });
  return { close: () => sub.unsubscribe() };
}
