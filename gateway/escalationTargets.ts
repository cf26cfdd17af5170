/**
 * Which coordinators hear of an escalation to `coordinator` (escalationRouter.ts), read from the
 * journal: the failed agent's own coordinator — the `parent` its `task.accepted` names — when that
 * one still runs; otherwise every running coordinator of the workspace, newest first, at most
 * {@link MAX_NOTIFIED_COORDINATORS}. Running = its latest turn left it active (not done, failed or
 * cancelled: a final coordinator takes no notice). None: the router falls back to the org's admins.
 */
import { eventSubject, findEvent, STREAMS, type ActorAddress } from '../schemas/index.js';
import type { Bus } from './bus.js';

/** At most this many coordinators of a workspace are told of one escalation. */
export const MAX_NOTIFIED_COORDINATORS = 20;

const same = (a: ActorAddress, b: ActorAddress) =>
  a.org === b.org && a.ws === b.ws && a.kind === b.kind && a.id === b.id;

/** The turn sequence of the actor's latest entry when that turn left it running, else null. */
async function runningSeq(bus: Bus, a: ActorAddress): Promise<number | null> {
  const last = await bus.lastRecord(a);
  return last && last.rec.status === 'active' ? last.seq : null;
}

/** The coordinator that started agent `a` (from its `task.accepted`), or null. */
async function parentOf(bus: Bus, a: ActorAddress): Promise<ActorAddress | null> {
  if (a.kind !== 'agent') return null;
  for (const { rec } of await bus.records(a)) {
    const accepted = findEvent(rec.events, 'task.accepted');
    if (!accepted) continue;
    const p = accepted.parent;
    return p && p.kind === 'coordinator' ? { org: a.org, ws: a.ws, kind: p.kind, id: p.id } : null;
  }
  return null;
}

/**
 * The coordinators to tell that actor `failed` was stopped and escalated (empty: none runs).
 *
 * @example const to = await coordinatorsFor(bus, { org, ws, kind: 'agent', id: 'c1-e1' });
 */
export async function coordinatorsFor(
  bus: Bus,
  failed: ActorAddress,
  max = MAX_NOTIFIED_COORDINATORS,
): Promise<ActorAddress[]> {
  const parent = await parentOf(bus, failed);
  if (parent && (await runningSeq(bus, parent)) !== null) return [parent];
  const filter = eventSubject({ org: failed.org, ws: failed.ws, kind: 'coordinator', id: '*' });
  const info = await bus.jsm.streams.info(STREAMS.events, { subjects_filter: filter });
  const running: { a: ActorAddress; seq: number }[] = [];
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const id = subject.split('.').pop() ?? '';
    const a = { org: failed.org, ws: failed.ws, kind: 'coordinator', id };
    if (same(a, failed)) continue;
    const seq = await runningSeq(bus, a);
    if (seq !== null) running.push({ a, seq });
  }
  return running
    .sort((x, y) => y.seq - x.seq)
    .slice(0, max)
    .map((r) => r.a);
}
