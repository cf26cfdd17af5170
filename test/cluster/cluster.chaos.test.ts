/**
 * The platform on a 3-server JetStream cluster (R3 streams and KV, MOE_REPLICAS=3) under chaos.
 * Two `moe node` child processes (separate data dirs) and a supervisor serve a steady task load
 * (new tasks submitted continuously, each command published with its id as Nats-Msg-Id and
 * re-sent until JetStream acknowledges it) while the test
 *   (a) kills one nats-server with kill -9, (b) restarts it, (c) kills the MOE_EVT stream leader,
 *   (d) kills the MOE_CMD stream leader (each leader restarted after its fault).
 * Then: every acknowledged task ran to `task.completed` (0 lost), every command id has one turn,
 * every effect id one outcome, `moe replay` passes on every session log, and tasks kept
 * completing after each fault. The stall per fault (the longest gap between two completions,
 * by the server's store time of their journal entries, from the last one before the fault to
 * the next fault) is printed and documented in docs/deploy.md.
 *
 * The same file runs two scenarios the single-server suite has, on the cluster: kill -9 of a
 * workspace-node whose interrupted effect the next node re-drives, and the journal fence with two
 * owners of one workspace.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalReader } from '../../actors/kernel/index.js';
import { STREAMS, workspaceConsumerName, type ActorAddress } from '../../schemas/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import type { WorkspaceNode } from '../../workspace-node/index.js';
import {
  assertCleanJournal,
  eventually,
  exited,
  MOE_BIN,
  silent,
  startClusterPlatform,
  tempDirs,
  type ClusterPlatform,
  type ClusterServer,
} from '../harness/index.js';

const ORG = 'cl';
const WORKSPACES = ['w0', 'w1', 'w2', 'w3'];
/** tasks submitted per second (each: a submit turn, an LLM effect, its result turn) */
const RATE = 6;
/** completions that must follow each fault before the next one */
const KEEP_COMPLETING = 12;
/** and the time each fault is left to play out (elections take seconds), so its stall is its own */
const SETTLE_MS = 10_000;

let p: ClusterPlatform;
let sup: Supervisor;
const dirs = tempDirs();
const dir = (prefix: string) => dirs.make(prefix);
beforeAll(async () => {
  p = await startClusterPlatform();
  sup = await startSupervisor({
    natsUrl: p.cluster.url,
    id: 'sup-cluster',
    port: 0,
    logger: silent,
    intervalMs: 250,
    replicas: 3,
    // No node dies in the NATS-fault test: a node whose server was killed can miss heartbeats for
    // longer than the default 1 s while it reconnects and the KV leader is elected again, and the
    // supervisor would move its workspaces (safe, fenced; but see docs/deploy.md on what a move
    // between separate data dirs leaves pending).
    staleMs: 20_000,
  });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
  dirs.removeAll();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const agent = (ws: string, id: string): ActorAddress => ({ org: ORG, ws, kind: 'agent', id });

/** Submits a new task every 1/RATE s; each is re-sent (same id) until JetStream acknowledges it. */
class TaskLoad {
  readonly acked = new Map<string, string>(); // task id → workspace
  sendFailures = 0;
  private running = true;
  private readonly pending = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  start(): void {
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const submitted = this.submit(WORKSPACES[i % WORKSPACES.length]!, `t${i}`);
        this.pending.add(submitted);
        void submitted.finally(() => this.pending.delete(submitted));
        await sleep(1000 / RATE);
      }
    })();
  }

  private async submit(ws: string, id: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await p.client.send(agent(ws, id), {
          id: `task-${id}`,
          type: 'task.submit',
          data: { prompt: `task ${id}`, profile: 'scripted', script: [{ text: `done ${id}` }] },
        });
        this.acked.set(id, ws);
        return;
      } catch {
        this.sendFailures++;
        if (Date.now() > deadline) return; // never acknowledged: not counted, nothing to find
        await sleep(250);
      }
    }
  }

  /** stops submitting; resolves when every submitted task is acknowledged (or given up) */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all([...this.pending]);
  }
}

/** Counts completions live (the test waits on it); the stall figures use server store times. */
class Completions {
  readonly at: number[] = [];
  private readonly reader = new JournalReader(p.client.js, {
    filter: `moe.evt.${ORG}.>`,
    start: { afterSeq: 0 },
    follow: true,
    onRetry: () => this.retries++,
  });
  retries = 0;
  private done: Promise<void> | undefined;

  async start(): Promise<void> {
    await this.reader.open();
    this.done = (async () => {
      for await (const { rec } of this.reader.turns())
        if (rec.events.some((e) => e.type === 'task.completed')) this.at.push(Date.now());
    })().catch(() => undefined);
  }

  /** resolves once `n` completions were seen after `since` */
  async after(since: number, n: number, what: string): Promise<void> {
    await eventually(() => (this.at.filter((t) => t > since).length >= n ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 100,
      what,
    });
  }

  async stop(): Promise<void> {
    await this.reader.close();
    await this.done;
  }
}

/** A JetStream API call that may meet an election (no leader for a few seconds): retried. */
function retried<T>(call: () => Promise<T | undefined | null>, what: string): Promise<T> {
  return eventually(async () => (await call()) ?? undefined, { timeoutMs: 60_000, intervalMs: 250, what });
}

const leaderOf = (stream: string) =>
  retried<string>(async () => (await p.jsm.streams.info(stream)).cluster?.leader, `${stream} leader`);

/** The journal's turns on a filter, read again if a read meets an election. */
const journal = (filter: string) => retried(() => p.records(filter), `the journal on ${filter}`);

/** Server store time (ms) of every journal entry with a task.completed, sorted. */
async function completionTimes(): Promise<number[]> {
  const seqs = new Set<number>();
  for (const r of await journal(`moe.evt.${ORG}.>`))
    if (r.record.events.some((e) => e.type === 'task.completed')) seqs.add(r.seq);
  const times = await Promise.all(
    [...seqs].map(async (seq) => {
      const m = await retried(() => p.jsm.streams.getMessage(STREAMS.events, { seq }), `entry ${seq}`);
      return m.time.getTime();
    }),
  );
  return times.sort((a, b) => a - b);
}

/** The longest gap between consecutive completions from the last one before `from` up to `to`. */
function longestGap(times: readonly number[], from: number, to: number): number {
  const before = times.filter((t) => t <= from).at(-1);
  const window = [...(before !== undefined ? [before] : []), ...times.filter((t) => t > from && t <= to)];
  let gap = 0;
  for (let i = 1; i < window.length; i++) gap = Math.max(gap, window[i]! - window[i - 1]!);
  return gap;
}

/** Every `sessions/*.jsonl` under a data dir's workspaces. */
function sessionLogs(dataDir: string): string[] {
  const root = join(dataDir, 'workspaces');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const org of readdirSync(root))
    for (const ws of readdirSync(join(root, org))) {
      const sessions = join(root, org, ws, 'sessions');
      if (existsSync(sessions))
        for (const f of readdirSync(sessions)) if (f.endsWith('.jsonl')) out.push(join(sessions, f));
    }
  return out;
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await exited(c);
}

describe('the platform on a 3-server JetStream cluster', () => {
  it(
    'under a steady task load, kill -9 of a server, its restart and kill -9 of the stream leaders lose no acknowledged command and duplicate nothing',
    { timeout: 300_000 },
    async () => {
      for (const s of [STREAMS.commands, STREAMS.events])
        expect((await p.jsm.streams.info(s)).config.num_replicas).toBe(3);
      const dataA = dir('moe-cl-a-');
      const dataB = dir('moe-cl-b-');
      // Leases long enough that a busy box or a NATS election does not move a workspace: no node
      // dies here (a move between separate data dirs is the failover suite's subject).
      const nodeA = p.spawnNode('cl-a', dataA, { MOE_LEASE_MS: '15000' });
      const nodeB = p.spawnNode('cl-b', dataB, { MOE_LEASE_MS: '15000' });
      const completions = new Completions();
      await completions.start();
      const load = new TaskLoad();
      const faults: Array<{ name: string; at: number; server: string }> = [];
      const keepsCompleting = (name: string, at: number) =>
        Promise.all([
          completions.after(at, KEEP_COMPLETING, `tasks completing after ${name}`),
          sleep(SETTLE_MS - (Date.now() - at)),
        ]).catch(async (err: unknown) => {
          console.log(
            `${name}: ${completions.at.filter((t) => t > at).length} completions since\n${await diagnosis()}`,
          );
          throw err;
        });
      const kill = async (name: string, server: ClusterServer) => {
        const at = Date.now();
        await server.kill();
        faults.push({ name, at, server: server.name });
        await keepsCompleting(name, at);
      };
      const restart = async (name: string, server: ClusterServer) => {
        const at = Date.now();
        await server.restart();
        // Liveness is what counts here (tasks keep completing, checked next); a consumer replica
        // still catching up after half a minute is reported, not waited for.
        await p.cluster.ready(90_000, {
          consumerLagToleratedAfterMs: 30_000,
          onConsumerLag: (report) =>
            console.log(`${name}: going on with a consumer replica behind (${report})`),
        });
        faults.push({ name, at, server: server.name });
        await keepsCompleting(name, at);
      };
      const diagnosis = () => diagnose().catch((err: unknown) => `diagnosis failed: ${String(err)}`);
      const diagnose = async () => {
        const streams = await Promise.all(
          [STREAMS.commands, STREAMS.events].map(async (s) => {
            const i = await p.jsm.streams.info(s).catch((e: unknown) => String(e));
            return typeof i === 'string'
              ? `${s}: ${i}`
              : `${s}: leader ${i.cluster?.leader} last ${i.state.last_seq} replicas ${JSON.stringify(i.cluster?.replicas?.map((r) => [r.name, r.current, r.offline]))}`;
          }),
        );
        const consumers: string[] = [];
        for await (const c of p.jsm.consumers.list(STREAMS.commands))
          consumers.push(
            `${c.name}: pending ${c.num_pending} ack_pending ${c.num_ack_pending} waiting ${c.num_waiting} leader ${c.cluster?.leader}`,
          );
        const evtLast = async () => (await p.jsm.streams.info(STREAMS.events)).state.last_seq;
        const before = await evtLast();
        await sleep(3000);
        const inJournal = (await journal(`moe.evt.${ORG}.>`)).filter((r) =>
          r.record.events.some((e) => e.type === 'task.completed'),
        ).length;
        const dlq = await p.jsm.streams.info(STREAMS.deadLetters);
        const letters: string[] = [];
        for (let seq = dlq.state.first_seq; dlq.state.messages > 0 && seq <= dlq.state.last_seq; seq++) {
          const m = await p.jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
          if (m) letters.push(new TextDecoder().decode(m.data).slice(0, 400));
        }
        return [
          `dead letters: ${letters.length}\n${letters.slice(0, 5).join('\n')}`,
          `load: ${load.acked.size} acked, ${load.sendFailures} failed sends; MOE_EVT last ${before} → ${await evtLast()} in 3 s; ` +
            `completions in the journal ${inJournal}, seen by the live reader ${completions.at.length} (${completions.retries} retries)`,
          `faults ${JSON.stringify(faults)}`,
          ...streams,
          ...consumers,
          `--- cl-a\n${p.logsOf('cl-a').slice(-8000)}`,
          `--- cl-b\n${p.logsOf('cl-b').slice(-8000)}`,
        ].join('\n');
      };
      try {
        const started = Date.now();
        load.start();
        await completions.after(started, 3 * KEEP_COMPLETING, 'the load running');
        const warm = Date.now();

        // (a) a server that leads neither stream, if there is one; (b) its restart
        const leaders = new Set([await leaderOf(STREAMS.commands), await leaderOf(STREAMS.events)]);
        const follower = p.cluster.servers.find((s) => !leaders.has(s.name)) ?? p.cluster.servers[0]!;
        await kill('kill -9 of a server', follower);
        await restart('restart of that server', follower);
        // (c) the MOE_EVT leader, (d) the MOE_CMD leader: each killed, then restarted
        for (const stream of [STREAMS.events, STREAMS.commands]) {
          const leader = p.cluster.server(await leaderOf(stream));
          await kill(`kill -9 of the ${stream} leader`, leader);
          await restart(`restart after the ${stream} leader`, leader);
        }
        await load.stop();
        const end = Date.now();

        // 0 lost: every acknowledged task completes; 0 duplicated: one turn per command id.
        const acked = [...load.acked.keys()];
        let missing: string[] = [];
        const records = await eventually(
          async () => {
            const recs = await journal(`moe.evt.${ORG}.>`);
            const done = new Set(
              recs
                .filter((r) => r.record.events.some((e) => e.type === 'task.completed'))
                .map((r) => r.record.actor.id),
            );
            missing = acked.filter((id) => !done.has(id));
            return missing.length === 0 ? recs : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 1000, what: 'every acknowledged task completed' },
        ).catch(async (err: unknown) => {
          const recs = await journal(`moe.evt.${ORG}.>`);
          const detail = missing.slice(0, 10).map((id) => {
            const mine = recs.filter((r) => r.record.actor.id === id);
            return `${load.acked.get(id)}.${id}: ${JSON.stringify(mine.map((r) => ({ seq: r.seq, turn: r.record.turn, cmd: r.record.cmd.type, state: r.record.state, events: r.record.events.map((e) => e.type), effects: r.record.effects.map((e) => e.id), ...(r.record.cmd.type === 'effect.failed' ? { failure: r.record.cmd.data } : {}) })))}`;
          });
          console.log(
            `${missing.length} of ${acked.length} acknowledged tasks not completed:\n${detail.join('\n')}`,
          );
          console.log(await diagnosis());
          throw err;
        });
        await sleep(1500); // room for a late duplicate
        const all = await journal(`moe.evt.${ORG}.>`);
        expect(all.length).toBeGreaterThanOrEqual(records.length);
        for (const [id, ws] of load.acked) expect(assertCleanJournal(all, agent(ws, id))).toBeNull();
        const cmdIds = all.map((r) => `${r.record.actor.ws}.${r.record.actor.id}/${r.record.cmd.id}`);
        expect(new Set(cmdIds).size).toBe(cmdIds.length);
        const completed = all.filter((r) => r.record.events.some((e) => e.type === 'task.completed'));
        expect(completed).toHaveLength(new Set(completed.map((r) => r.record.actor.id)).size);
        // one outcome per effect id (ids are per actor), and every effect started has its outcome
        const key = (r: (typeof all)[number], effectId: unknown) =>
          `${r.record.actor.ws}.${r.record.actor.id}/${String(effectId)}`;
        const results = all
          .filter((r) => r.record.cmd.type.startsWith('effect.'))
          .map((r) => key(r, r.record.cmd.data?.effectId));
        expect(new Set(results).size).toBe(results.length);
        const effects = all.flatMap((r) => r.record.effects.map((e) => key(r, e.id)));
        expect([...results].sort()).toEqual([...effects].sort());

        // stall per fault, by the server's store times of the completions
        const times = await completionTimes();
        const baseline = longestGap(times, started + 2000, warm);
        const stalls = faults.map((f, i) => ({
          ...f,
          stallMs: longestGap(times, f.at, faults[i + 1]?.at ?? end),
        }));
        console.log(
          `cluster chaos: ${acked.length} tasks acknowledged (${load.sendFailures} publish attempts ` +
            `failed and were re-sent), ${completed.length} completed, ${all.length} turns; longest gap ` +
            `between completions without a fault ${baseline} ms; per fault:\n` +
            stalls.map((s) => `  ${s.name} (${s.server}): stall ${s.stallMs} ms`).join('\n') +
            // effects that met a NATS outage inside (a KV read during an election) and waited it out
            `\neffect attempts retried through a NATS outage: ${['cl-a', 'cl-b']
              .map((n) => `${n} ${p.logCount(n, 'effect met a NATS outage: retrying')}`)
              .join(', ')}`,
        );
        expect(acked.length).toBeGreaterThan(100);

        // every `moe replay` passes, on both nodes' session logs (stopped first: snapshots on disk)
        await stopChild(nodeA);
        await stopChild(nodeB);
        const logs = [...sessionLogs(dataA), ...sessionLogs(dataB)];
        expect(logs.length).toBeGreaterThan(0);
        for (const log of logs) {
          const r = spawnSync(process.execPath, [MOE_BIN, 'replay', log], { encoding: 'utf8' });
          expect(r.status, `moe replay ${log}\n${r.stdout}\n${r.stderr}`).toBe(0);
        }
      } finally {
        await load.stop();
        await completions.stop();
        for (const s of p.cluster.servers) if (!s.running) await s.restart();
        await stopChild(nodeA);
        await stopChild(nodeB);
      }
    },
  );

  it('a workspace-node killed with kill -9 mid-effect: the next node re-drives the effect and the task completes once', async () => {
    const data = dir('moe-cl-kill-');
    const first = p.spawnNode('cl-k1', data);
    const slow = agent('k1', 'slow');
    const bound = { org: ORG, ws: 'k1' };
    try {
      await p.client.send(slow, {
        id: 'task-slow',
        type: 'task.submit',
        data: {
          prompt: 'survive a crash',
          profile: 'scripted',
          script: [
            {
              text: 'writing',
              toolCalls: [{ name: 'write_file', input: { path: 'a.txt', content: 'before the crash' } }],
            },
            { text: 'slow final answer', delayMs: 4000 },
          ],
        },
      });
      await eventually(
        async () => {
          const recs = await p.records(`moe.evt.${bound.org}.${bound.ws}.>`);
          return recs.some((r) => r.record.events.some((e) => e.type === 'tool.finished')) ? true : undefined;
        },
        { timeoutMs: 30_000, what: 'tool result journaled' },
      );
      first.kill('SIGKILL');
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
    } finally {
      await stopChild(first);
    }
    const second = p.spawnNode('cl-k2', data);
    try {
      await eventually(
        async () => {
          const recs = await p.records(`moe.evt.${bound.org}.${bound.ws}.>`);
          return recs.some((r) => r.record.events.some((e) => e.type === 'task.completed'))
            ? true
            : undefined;
        },
        { timeoutMs: 45_000, what: 'task.completed after the restart' },
      );
      await sleep(1500);
      const all = await p.records(`moe.evt.${bound.org}.${bound.ws}.>`);
      expect(assertCleanJournal(all, slow)).toBeNull();
      expect(all.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed')).toHaveLength(1);
      const results = all
        .filter((r) => r.record.cmd.type.startsWith('effect.'))
        .map((r) => String(r.record.cmd.data?.effectId));
      expect(new Set(results).size).toBe(results.length);
      expect(results.sort()).toEqual(all.flatMap((r) => r.record.effects.map((e) => e.id)).sort());
    } finally {
      await stopChild(second);
    }
  }, 120_000);

  it('two nodes consuming one workspace apply every command once, in one history per actor', async () => {
    let a: WorkspaceNode | undefined;
    let b: WorkspaceNode | undefined;
    try {
      const only = [`${ORG}.two`];
      a = await p.node({
        nodeId: 'fa',
        dataDir: dir('moe-cl-fa-'),
        ignorePlacement: true,
        only,
        pullBatch: 4,
      });
      b = await p.node({
        nodeId: 'fb',
        dataDir: dir('moe-cl-fb-'),
        ignorePlacement: true,
        only,
        pullBatch: 4,
      });
      const org = { org: ORG, ws: 'two', kind: 'org', id: 'shared' };
      await p.client.send(org, { id: 'create', type: 'org.create', data: { name: 'shared' } });
      // both serve the workspace before the burst, so both take part in it
      await Promise.all([a.waitForWorkspace(ORG, 'two', 30_000), b.waitForWorkspace(ORG, 'two', 30_000)]);
      // Bursts until both nodes have taken turns and the fence has turned one of them back (on a
      // cluster one node can drain a small burst before the other's first pull arrives).
      const ha = () => a!.hosts.get(`${ORG}.two`)!.kernel.stats;
      const hb = () => b!.hosts.get(`${ORG}.two`)!.kernel.stats;
      // Both nodes pull from the workspace's one durable consumer: wait until both pulls are
      // waiting at the server, so a burst is spread over both (else the first can drain it alone).
      const bothPulling = () =>
        eventually(
          async () => {
            const info = await p.jsm.consumers.info(STREAMS.commands, workspaceConsumerName(ORG, 'two'));
            return info.num_waiting >= 2 ? true : undefined;
          },
          { timeoutMs: 20_000, what: 'pull requests of both nodes waiting on the consumer' },
        );
      let n = 0;
      for (let round = 0; round < 10; round++) {
        await bothPulling();
        await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            p.client.send(org, {
              id: `add-${n + i}`,
              type: 'workspace.add',
              data: { workspace: `w${n + i}` },
            }),
          ),
        );
        n += 60;
        await eventually(
          async () => ((await p.records(`moe.evt.${ORG}.two.>`)).length >= n + 1 ? true : undefined),
          { timeoutMs: 60_000, what: `${n + 1} records` },
        );
        if (ha().turns > 0 && hb().turns > 0 && ha().fenced + hb().fenced > 0) break;
      }
      await sleep(500);
      const final = await p.records(`moe.evt.${ORG}.two.>`);
      expect(final).toHaveLength(n + 1);
      expect(assertCleanJournal(final, org)).toBeNull();
      // Every command once, one history per actor (above), with both nodes consuming. How the
      // server spreads a burst over the two pulls is its business: on a fresh cluster the second
      // node was seen to get no delivery at all (an open question, docs/deploy.md); the fence
      // turning one of two active owners back is asserted on one server (kernel.fence.test.ts).
      expect(ha().turns + hb().turns).toBeGreaterThanOrEqual(n + 1);
      expect(ha().duplicates + hb().duplicates).toBe(0);
    } finally {
      await a?.stop();
      await b?.stop();
    }
  }, 120_000);
});
