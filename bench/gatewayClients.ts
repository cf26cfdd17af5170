/**
 * The clients of the gateway bench (gatewayOverhead.ts): the same `task.submit` three ways, one
 * request at a time, each way first in turn — REST over one kept-alive HTTP connection until the
 * 202; NATS (`publishCommand` on the clients' own connection) until a core subscription sees the
 * accepting turn (as the node publishes it: before the stream has stored it, and with no sequence);
 * and NATS until a JetStream consumer (the kernel's JournalReader, like the gateway's acceptance
 * follower) delivers that turn, stored and with its sequence, which the 202 carries. Then the
 * process's CPU time per submit, REST and NATS one leg at a time, less its idle rate.
 *
 * They run in a worker thread by default ({@link runClientsInWorker}), as real clients run in their
 * own processes: in the gateway's thread, the client's read of each reply waits for an event-loop
 * turn behind the node's work on the task it just accepted, which no client of a deployed gateway
 * pays. `runGatewayClients` in the main thread measures that shared-loop figure.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { JournalReader, publishCommand } from '../actors/kernel/index.js';
import { decodeTurns } from '../schemas/index.js';

export interface ClientPlan {
  readonly gatewayUrl: string;
  readonly natsUrl: string;
  /** `Bearer <jwt>` of a signed-in user */
  readonly auth: string;
  readonly org: string;
  readonly ws: string;
  readonly project: string;
  readonly samples: number;
}

export interface ClientTimes {
  readonly restMs: number[];
  readonly natsMs: number[];
  readonly natsJsMs: number[];
  /** process CPU per submit, µs, less what the process spends idle over the same time */
  readonly cpuRestUs: number;
  readonly cpuNatsUs: number;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on a kept-alive connection (node:http: the least client-side cost per request). */
export function send(agent: Agent, url: string, body: unknown, auth?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

export function json<T>(res: Answer, expected: number, what: string): T {
  if (res.status !== expected) throw new Error(`bench: ${what} answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as T;
}

const pause = () => new Promise((r) => setTimeout(r, 5));

/** Runs the three legs alternating, then the CPU phases; in whichever thread calls it. */
export async function runGatewayClients(plan: ClientPlan): Promise<ClientTimes> {
  const { org, ws, project, auth } = plan;
  const nc = await connect({ servers: plan.natsUrl, noAsyncTraces: true });
  const js = jetstream(nc);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = { prompt: 'bench', script: [{ text: 'ok' }] };
  const subjectOf = (id: string) => `moe.evt.${org}.${ws}.agent.${id}`;
  try {
    const rest = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await send(agent, `${plan.gatewayUrl}/api/projects/${project}/tasks`, body, auth);
      const took = performance.now() - t0;
      json(res, 202, 'task submit');
      return took;
    };

    // core: decode only while a NATS command is awaited (the REST turns are not the bench's work)
    const seen = new Map<string, (at: number) => void>();
    const sub = nc.subscribe(`moe.evt.${org}.${ws}.agent.>`, {
      callback: (_err, m) => {
        const now = performance.now();
        if (seen.size === 0) return;
        for (const r of decodeTurns(m.data)) seen.get(r.cmd.id)?.(now);
      },
    });
    // journaled: one consumer, decoding only the awaited actor's entries
    const stored = new Map<string, (at: number) => void>();
    const awaited = new Set<string>();
    const journal = new JournalReader(js, {
      filter: `moe.evt.${org}.${ws}.agent.>`,
      start: { from: 'now' },
      follow: true,
      skip: (subject) => !awaited.has(subject),
    });
    await journal.open();
    void (async () => {
      for await (const { rec } of journal.turns()) stored.get(rec.cmd.id)?.(performance.now());
    })().catch(() => undefined);

    let n = 0;
    const natsLeg = async (journaled: boolean): Promise<number> => {
      const id = `${ws}-${project}-t${randomBytes(8).toString('hex')}`;
      const cmdId = `bench-${++n}`;
      const waits = journaled ? stored : seen;
      if (journaled) awaited.add(subjectOf(id));
      const accepted = new Promise<number>((resolve) => waits.set(cmdId, resolve));
      const t0 = performance.now();
      await publishCommand(
        js,
        { org, ws, kind: 'agent', id },
        { id: cmdId, type: 'task.submit', data: { ...body, project } },
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('bench: NATS task.submit not accepted in 10 s')), 10_000);
      });
      try {
        return (await Promise.race([accepted, timeout])) - t0;
      } finally {
        clearTimeout(timer);
        waits.delete(cmdId);
        awaited.delete(subjectOf(id));
      }
    };
    const nats = () => natsLeg(false);
    const natsJs = () => natsLeg(true);

    for (let i = 0; i < 20; i++) {
      await rest();
      await nats();
      await natsJs();
    }
    const restMs: number[] = [];
    const natsMs: number[] = [];
    const natsJsMs: number[] = [];
    const legs = [
      async () => restMs.push(await rest()),
      async () => natsMs.push(await nats()),
      async () => natsJsMs.push(await natsJs()),
    ];
    for (let i = 0; i < plan.samples; i++) {
      for (let k = 0; k < legs.length; k++) await legs[(i + k) % legs.length]!();
      await pause();
    }

    // CPU per submit: one leg at a time, same pacing, then a pause in which the last tasks finish
    // (a scripted task ends within milliseconds). The process also works when idle (heartbeats,
    // probes, timers): that rate, measured with the same pauses and no submit, is taken off each
    // phase for its duration, or a slower leg would be billed for more of it.
    const settle = () => new Promise((r) => setTimeout(r, 300));
    const cpuPer = async (leg: () => Promise<unknown>, count: number) => {
      await settle();
      const before = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        await leg();
        await pause();
      }
      await settle();
      const used = process.cpuUsage(before);
      return { us: used.user + used.system, ms: performance.now() - t0 };
    };
    const cpuCount = Math.max(50, Math.floor(plan.samples / 2));
    const idle = await cpuPer(async () => undefined, cpuCount);
    const idleUsPerMs = idle.us / idle.ms;
    const perSubmit = (p: { us: number; ms: number }) => (p.us - idleUsPerMs * p.ms) / cpuCount;
    const cpuRestUs = perSubmit(await cpuPer(rest, cpuCount));
    const cpuNatsUs = perSubmit(await cpuPer(nats, cpuCount));
    sub.unsubscribe();
    await journal.close();
    return { restMs, natsMs, natsJsMs, cpuRestUs, cpuNatsUs };
  } finally {
    agent.destroy();
    await nc.close();
  }
}

/** {@link runGatewayClients} in a worker thread of its own (this file is the worker's entry). */
export function runClientsInWorker(plan: ClientPlan): Promise<ClientTimes> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: plan });
    let result: ClientTimes | undefined;
    worker.once('message', (m: ClientTimes) => (result = m));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`bench: gateway clients' worker exited with ${code}`)),
    );
  });
}

if (!isMainThread && parentPort && (workerData as Partial<ClientPlan> | null)?.gatewayUrl) {
  const port = parentPort;
  void runGatewayClients(workerData as ClientPlan).then(
    (times) => port.postMessage(times),
    (err: unknown) => {
      throw err;
    },
  );
}
