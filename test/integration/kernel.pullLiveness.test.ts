/**
 * A command pull the server stopped answering is noticed and replaced. The server is frozen
 * (SIGSTOP, by pid) for longer than the silence bound: it holds the pull but sends no heartbeat,
 * as a consumer leader lost in an election does. Meanwhile nats.js reports `heartbeats_missed`
 * every heartbeat interval; those are the client talking about itself, and counting them as
 * signs of life once kept a workspace's pull "alive" with 45 commands pending and no pull waiting
 * on the server (cluster.chaos). Thawed, the workspace's loop pulls again and delivers.
 */
import type { ConsumerMessages } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { SILENT_AFTER_MS, watchLiveness } from '../../actors/kernel/consumerLiveness.js';
import { addCommandConsumer, consumeCommands } from '../../actors/kernel/workspaceConsumer.js';
import { STREAMS, workspaceCommandFilter } from '../../schemas/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  if (p?.ns.pid) process.kill(p.ns.pid, 'SIGCONT'); // a failed test must not leave it frozen
  await p?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Freezes the test's nats-server for `ms`, then thaws it (also when the wait throws). */
async function frozen(ms: number): Promise<void> {
  const pid = p.ns.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** A logger whose lines are kept (JSON objects) for the test to read. */
function capturedLog(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/**
 * A pull on a new durable consumer of workspace `pl.<ws>`, heartbeats every second. Consumed with
 * a callback, as the kernel consumes (an iterator nobody reads would never send its pull).
 */
async function pullOn(name: string, ws: string): Promise<ConsumerMessages> {
  await addCommandConsumer(p.jsm, { name, filter: workspaceCommandFilter('pl', ws) });
  const consumer = await p.client.js.consumers.get(STREAMS.commands, name);
  return consumer.consume({
    max_messages: 10,
    expires: 10_000,
    idle_heartbeat: 1_000,
    callback: () => undefined,
  });
}

describe('a command pull the server stopped answering', () => {
  it('is taken as silent while nats.js only reports missed heartbeats', async () => {
    const messages = await pullOn('ws-pull-liveness', 'w1');
    const seen: string[] = [];
    void (async () => {
      for await (const s of messages.status()) seen.push(s.type);
    })();
    let silentAfter: number | undefined;
    const started = Date.now();
    const watch = watchLiveness(messages, (ms) => (silentAfter = ms));
    // heartbeats flow (one a second): alive
    await eventually(() => seen.includes('heartbeat') || undefined, { what: 'a heartbeat' });
    expect(silentAfter).toBeUndefined();

    await frozen(SILENT_AFTER_MS + 2_500);
    // nats.js spoke up during the freeze (its own monitor) — and the watch still called it silent
    expect(seen).toContain('heartbeats_missed');
    expect(silentAfter).toBeGreaterThanOrEqual(SILENT_AFTER_MS);
    expect(Date.now() - started).toBeGreaterThan(SILENT_AFTER_MS);
    watch.stop();
    messages.stop();
  });

  it('is not taken as silent when this process, not the server, was busy (a blocked event loop)', async () => {
    const messages = await pullOn('ws-pull-busy', 'w3');
    let silent = false;
    const watch = watchLiveness(messages, () => (silent = true));
    await sleep(1_500);
    const busyUntil = Date.now() + SILENT_AFTER_MS + 1_500;
    while (Date.now() < busyUntil); // the server's heartbeats wait, unread, in the socket
    await sleep(2_500);
    expect(silent).toBe(false);
    watch.stop();
    messages.stop();
  });

  it('a workspace loop pulls again after the freeze, delivers what is sent after it, and logs the silence', async () => {
    const org = 'pl';
    const ws = 'w2';
    const name = 'ws-pull-loop';
    await addCommandConsumer(p.jsm, { name, filter: workspaceCommandFilter(org, ws) });
    const { log, lines } = capturedLog();
    const delivered: string[] = [];
    const { messages } = await consumeCommands({ js: p.client.js, log, name }, (m) => {
      delivered.push(m.subject);
      m.ack();
    });
    const subject = `moe.cmd.${org}.${ws}.agent.a`;
    await p.client.js.publish(subject, '{}');
    await eventually(() => delivered.length === 1 || undefined);

    await frozen(SILENT_AFTER_MS + 2_500);
    await p.client.js.publish(subject, '{}', { timeout: 10_000 });
    await eventually(() => delivered.length === 2 || undefined, {
      timeoutMs: 20_000,
      what: 'the second command',
    });
    const silences = lines.filter((l) => l.msg === 'command pull went silent; pulling again');
    expect(silences.length).toBeGreaterThanOrEqual(1);
    expect(silences[0]).toMatchObject({ consumer: name, silences: 1 });
    // the pull that replaced it is held by the server
    await eventually(
      async () => (await p.jsm.consumers.info(STREAMS.commands, name)).num_waiting > 0 || undefined,
      { what: 'a pull waiting on the server' },
    );
    messages.stop();
  });
});
