/**
 * Restart history survives a supervisor leader change: it lives in KV `moe_nodes`
 * (supervisor/restartHistory.ts), not in the leader's memory. Two supervisions on a real
 * nats-server share the KV; the first restarts an actor once and then loses leadership; the
 * second, taking over with an empty memory, counts that restart: it restarts once more and then
 * stops the actor (policy: 2 restarts, then stop). With history in memory it would have started
 * again from zero. The actor's failed command is published again after each restart.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_BUCKETS } from '../../schemas/index.js';
import { ActorSupervision } from '../../supervisor/actorSupervision.js';
import { kvRestartHistory, RESTARTS_KEY_PREFIX } from '../../supervisor/restartHistory.js';
import type { RestartPolicies } from '../../supervisor/restartPolicy.js';
import { ensureStreams } from '../../workspace-node/index.js';
import { silent, startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  await ensureStreams(nc, await jetstreamManager(nc));
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

const policies: RestartPolicies = {
  agent: {
    maxRestarts: 2,
    windowMs: 60_000,
    backoffBaseMs: 1,
    backoffMaxMs: 1,
    then: 'stop',
    escalateTo: 'operators',
  },
};

const letter = (n: number) => ({
  subject: 'moe.cmd.o1.w1.agent.t1',
  code: 'MOE_ERR_MACHINE_THREW',
  reason: `boom ${n}`,
  payload: JSON.stringify({
    id: n === 1 ? 'c1' : `c1#r${n - 1}`,
    type: 'task.submit',
    data: { prompt: 'x' },
  }),
});

describe('restart history across a leader change', () => {
  it('a new leader goes on counting the restarts the old leader made', async () => {
    const kv = await new Kvm(nc).open(KV_BUCKETS.nodes);
    let leader: 'a' | 'b' = 'a';
    const make = (id: 'a' | 'b') =>
      new ActorSupervision({
        nc,
        js: jetstream(nc),
        policies,
        history: kvRestartHistory(kv),
        isLeader: () => leader === id,
        now: () => Date.now(),
        log: silent,
      });
    const a = make('a');
    const b = make('b');
    try {
      expect(await a.onLetter(letter(1))).toMatchObject({ action: 'restart', restart: 1 });
      const stored = await kv.get(`${RESTARTS_KEY_PREFIX}o1.w1.agent.t1`);
      expect(stored?.json<number[]>()).toHaveLength(1);

      leader = 'b'; // the old leader no longer acts, the new one starts with an empty memory
      expect(await a.onLetter(letter(2))).toBeNull();
      expect(await b.onLetter(letter(2))).toMatchObject({ action: 'restart', restart: 2 });
      expect(await b.onLetter(letter(3))).toMatchObject({ action: 'stop', restarts: 2 });
      // stopped: the history is cleared
      const after = await kv.get(`${RESTARTS_KEY_PREFIX}o1.w1.agent.t1`);
      expect(after === null || after.operation !== 'PUT').toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
