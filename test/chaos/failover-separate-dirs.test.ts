/**
 * Failover between nodes with separate data dirs (as on two machines), with default timings: a
 * supervisor and two `moe node` children; the one hosting the workspace is killed with kill -9
 * while its LLM calls are in flight. The other node, whose data dir never held the workspace,
 * takes it over and finishes every task: the pending effects come back from the journal
 * (actors/kernel/journalRecovery.ts), not from the dead node's `sessions.db`. Each effect has one
 * result in the journal, and no LLM call whose reply had reached the dead node is made again.
 */
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_BUCKETS } from '../../schemas/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import {
  type Platform,
  assertCleanJournal,
  eventually,
  exited,
  nodeChildren,
  silent,
  startPlatform,
  tempDir,
} from '../harness/index.js';

const TASKS = 8;
/** a reply that left the provider this shortly before the kill was still on the wire (ms) */
const ON_THE_WIRE_MS = 1000;

let p: Platform;
let sup: Supervisor;
let fake: FakeProviderServer;
beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({ nc: p.nc, id: 'sup-sep', port: null, logger: silent });
  // `slow` prompts stream their reply over ~2.5 s: the calls are in flight when the node dies
  fake = await startFakeProviderServer({
    respond: (_r, body) => {
      const prompt = JSON.stringify(body.messages ?? '');
      return fakeReply({
        text: `answer to ${prompt.length}`,
        usage: { input: 10, output: 5 },
        chunkDelayMs: prompt.includes('slow') ? 400 : 0,
      });
    },
  });
});
afterAll(async () => {
  await fake?.close();
  await sup?.stop();
  await p?.close();
});

const agentOf = (body: Record<string, unknown>) => {
  const m = JSON.stringify(body.messages ?? '');
  return /agent (\w+)/.exec(m)?.[1] ?? '?';
};

describe('failover with separate data dirs', () => {
  it('finishes every task the killed node had started, each effect with one result, no reply paid twice', async () => {
    const dirA = tempDir('moe-sep-a-');
    const dirB = tempDir('moe-sep-b-');
    // default timings: only the lease is the documented default written out (the harness shortens it)
    const env = {
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
      MOE_LEASE_MS: '15000',
    };
    const ws = { org: 'fo', ws: 'sep' };
    const children = nodeChildren(p);
    const a = children.spawn('sep-a', dirA.path, env, 'SIGKILL');
    try {
      const warm = await p.client.runTask(
        ws.org,
        ws.ws,
        'warm',
        { prompt: 'agent warm' },
        { timeoutMs: 30_000 },
      );
      expect(warm.outcome.type).toBe('task.completed');
      children.spawn('sep-b', dirB.path, env);
      const nodes = await new Kvm(p.nc).open(KV_BUCKETS.nodes);
      await eventually(async () => ((await nodes.get('sep-b'))?.operation === 'PUT' ? true : undefined), {
        what: 'sep-b heartbeat',
        // a `moe node` child's start (module loading, opening the store) is slow on a loaded box
        timeoutMs: 45_000,
      });

      const agents = Array.from({ length: TASKS }, (_, i) => `s${i}`);
      for (const id of agents)
        await p.client.send(
          { ...ws, kind: 'agent', id },
          { id: `task-${id}`, type: 'task.submit', data: { prompt: `agent ${id} slow` } },
        );
      // every slow call has been sent to the provider by node A, none answered yet
      await eventually(
        () => (new Set(fake.requests.map((r) => agentOf(r.body))).size >= TASKS + 1 ? true : undefined),
        { timeoutMs: 30_000, what: 'the LLM calls in flight' },
      );
      a.kill('SIGKILL');
      await exited(a);
      const killedAt = Date.now();

      const recs = await eventually(
        async () => {
          const all = await p.records('moe.evt.fo.sep.>');
          const done = all.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed');
          return done.length >= TASKS + 1 ? all : undefined;
        },
        { timeoutMs: 60_000, what: 'every task completed on the other node' },
      );
      const doneMs = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, 1500)); // room for a late duplicate
      const all = await p.records('moe.evt.fo.sep.>');
      console.log(`separate data dirs: every task done ${doneMs} ms after the kill -9`);

      expect(recs.length).toBeGreaterThan(0);
      for (const id of [...agents, 'warm'])
        expect(assertCleanJournal(all, { ...ws, kind: 'agent', id })).toBeNull();
      expect(all.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed')).toHaveLength(
        TASKS + 1,
      );
      // one result per effect in the journal
      const results = all
        .filter((r) => r.record.cmd.type.startsWith('effect.'))
        .map((r) => `${r.record.actor.id}/${String(r.record.cmd.data?.effectId)}`);
      expect(new Set(results).size).toBe(results.length);
      // a reply the dead node had received in full is never asked for again; the cut-off ones are
      const firstReply = new Map<string, number>();
      let paidTwice = 0;
      for (const r of [...fake.completed].sort((x, y) => x.finishedAt - y.finishedAt)) {
        const key = `${agentOf(r.body)}#${JSON.stringify(r.body.messages).length}`;
        const first = firstReply.get(key);
        if (first === undefined) firstReply.set(key, r.finishedAt);
        else if (killedAt - first >= ON_THE_WIRE_MS) paidTwice++;
      }
      expect(paidTwice).toBe(0);
      // the slow calls cut off by the kill were made again, by the other node
      for (const id of agents)
        expect(fake.requests.filter((r) => agentOf(r.body) === id).length).toBeGreaterThanOrEqual(2);
      // the other node holds the workspace now (epoch 2), and the tasks were done well within 10 s
      const lease = await (await new Kvm(p.nc).open(KV_BUCKETS.placement)).get('fo.sep');
      expect(lease?.json<{ node: string; epoch: number }>()).toMatchObject({ node: 'sep-b', epoch: 2 });
      expect(doneMs).toBeLessThan(20_000);
    } finally {
      await children.stopAll();
      dirA.remove();
      dirB.remove();
    }
  }, 180_000);
});
