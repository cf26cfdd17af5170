/**
 * The journal fence on a 3-server JetStream cluster (R3 MOE_EVT), raced head on. nats-server 2.9
 * checks `Nats-Expected-Last-Subject-Sequence` on a clustered stream only at the leader, before
 * the proposal (nats-server #4320): two appends that expect the same predecessor and reach the
 * leader before either is applied both pass, and an actor gets two histories. The message id is
 * checked when the entry is applied, in log order, on every replica; so the journal gives each
 * append the id `<actor>#<turn>@<predecessor>`, and of two writers extending the same entry the
 * second is a duplicate, whatever commands they carry. This file races two writers on two
 * connections to two different servers over many actors and asserts one winner per race.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams, Journal } from '../../actors/kernel/index.js';
import { STREAMS, type ActorAddress, type JournalEntry } from '../../schemas/index.js';
import { startNatsCluster, type NatsClusterHandle } from '../harness/index.js';

const RACES = 200;

let cluster: NatsClusterHandle;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  for (const s of cluster.servers.slice(1))
    conns.push(await connect({ servers: s.url, noAsyncTraces: true }));
  await ensureStreams(conns[0]!, await jetstreamManager(conns[0]!), { replicas: 3 });
}, 120_000);

afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => undefined);
  await cluster?.stop();
});

const entry = (actor: ActorAddress, turn: number, cmdId: string): JournalEntry => ({
  v: 2,
  actor,
  session: '_workspace',
  turns: [
    {
      turn,
      cmd: { id: cmdId, type: 'org.create', at: 1 },
      state: 'active',
      status: 'active',
      events: [],
      effects: [],
      cancels: [],
    },
  ],
});

describe('the journal fence on a 3-server cluster', () => {
  it('of two writers racing to extend the same entry, exactly one wins, every time', async () => {
    const [a, b] = conns.map((nc) => new Journal(jetstream(nc), nc));
    try {
      const actors = Array.from({ length: RACES }, (_, i) => ({
        org: 'fx',
        ws: 'race',
        kind: 'org',
        id: `a${i}`,
      }));
      // each actor's first turn, then the race on its second: both writers expect that first entry
      const firsts = await Promise.all(actors.map((actor) => a!.append(actor, entry(actor, 1, 'first'), 0)));
      const results = await Promise.all(
        actors.map(async (actor, i) => {
          const first = firsts[i]!;
          if (!first.ok) throw new Error(`first append of ${actor.id} refused: ${first.reason}`);
          return Promise.all([
            a!.append(actor, entry(actor, 2, `from-a-${i}`), first.seq),
            b!.append(actor, entry(actor, 2, `from-b-${i}`), first.seq),
          ]);
        }),
      );
      const winners = results.map((pair) => pair.filter((r) => r.ok).length);
      const doubled = winners.filter((n) => n > 1).length;
      const none = winners.filter((n) => n === 0).length;
      expect({ doubled, none }).toEqual({ doubled: 0, none: 0 });
      // and the stream holds exactly two entries per actor
      const jsm = await jetstreamManager(conns[0]!);
      const info = await jsm.streams.info(STREAMS.events, { subjects_filter: 'moe.evt.fx.race.>' });
      expect(info.state.messages).toBe(RACES * 2);
    } finally {
      a?.close();
      b?.close();
    }
  }, 120_000);
});
