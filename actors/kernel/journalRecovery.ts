/**
 * Recovery of unfinished work from the journal, for a kernel whose local cache (`sessions.db`) does
 * not know every actor of its workspace: a takeover on a separate or empty data dir, or a restored
 * backup older than the journal. The pending effects of an actor (an LLM call the dead node had
 * started, a durable timer) are recorded in its journal entries — each turn lists the effects it
 * started and cancelled, and a result command settles one — so they survive the node that ran them.
 *
 * {@link actorsToRecover} lists the actors the journal holds and the cache has no row for, reads the
 * workspace's journal once (one wildcard reader, in order) and returns those whose history ends with
 * at least one effect or timer still pending. The kernel activates them: activation catches an actor
 * up from the journal (which stores its pending effects in the cache) and re-drives what is pending.
 * Actors the cache knows are left to the cache (`sessions.db` lists their pending effects); an
 * actor without pending work is activated lazily by its next command, as before.
 *
 * Cost: one stream-info request when the cache knows every actor (a node restarting on its own data
 * dir); otherwise a read of the workspace's journal still held in MOE_EVT (after a purge, from the
 * backup's sequences on: the restored cache has rows for the purged actors).
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { addressKey, entryTurns, parseActorSubject, type ActorAddress } from '../../schemas/index.js';
import { entryEffects } from './entryEffects.js';
import { journalSubjectCounts } from './journalPurge.js';
import { readJournal } from './journalReader.js';

export interface RecoveryScan {
  /** actors the journal holds that the local cache has no row for */
  readonly unknown: number;
  /** of those, the ones with effects or timers still pending: activate them */
  readonly pending: readonly ActorAddress[];
}

/**
 * The actors of workspace `org.ws` missing from the local cache (`known(key)` false) whose journal
 * ends with effects still pending.
 *
 * @example
 *   const { pending } = await actorsToRecover(js, jsm, 'acme', 'main', (k) => store.load(k) !== undefined);
 */
export async function actorsToRecover(
  js: JetStreamClient,
  jsm: JetStreamManager,
  org: string,
  ws: string,
  known: (key: string) => boolean,
): Promise<RecoveryScan> {
  const filter = `moe.evt.${org}.${ws}.>`;
  const unknown = new Set<string>();
  for (const subject of (await journalSubjectCounts(jsm, filter)).keys()) {
    const address = parseActorSubject(subject);
    if (address && !known(addressKey(address))) unknown.add(addressKey(address));
  }
  if (unknown.size === 0) return { unknown: 0, pending: [] };
  // actor key → its address and the ids of its effects still pending after the entries read so far
  const open = new Map<string, { address: ActorAddress; effects: Set<string> }>();
  for await (const { entry } of readJournal(js, filter, 0)) {
    const key = addressKey(entry.actor);
    if (!unknown.has(key)) continue;
    let actor = open.get(key);
    if (!actor) open.set(key, (actor = { address: { ...entry.actor }, effects: new Set() }));
    const { started, settled } = entryEffects(entryTurns(entry));
    for (const id of settled) actor.effects.delete(id);
    for (const { spec } of started) actor.effects.add(spec.id);
  }
  const pending = [...open.values()].filter((a) => a.effects.size > 0).map((a) => a.address);
  return { unknown: unknown.size, pending };
}
