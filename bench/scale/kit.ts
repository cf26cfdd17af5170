/**
 * Shared bits of the scale measurements (docs/scale.md): a private nats-server with the streams,
 * its resident memory and store size, and a median.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStreams } from '../../actors/kernel/index.js';
import { startNatsServer, type NatsServerHandle } from '../../devkit/index.js';

export interface ScaleServer {
  ns: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** nats-server's resident memory now, MB */
  rss(): number | null;
  /** bytes under the server's store dir (du) */
  storeBytes(): number;
  close(): Promise<void>;
}

export async function scaleServer(): Promise<ScaleServer> {
  const ns = await startNatsServer();
  const nc = await connect({ servers: ns.url, noAsyncTraces: true, maxReconnectAttempts: -1 });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm);
  return {
    ns,
    nc,
    js: jetstream(nc),
    jsm,
    rss: () => rssMb(ns.pid),
    storeBytes: () => Number(execFileSync('du', ['-sb', ns.storeDir], { encoding: 'utf8' }).split('\t')[0]),
    async close() {
      await nc.close().catch(() => undefined);
      await ns.stop();
    },
  };
}

/** A process's resident set in MB (Linux /proc), or null elsewhere. */
export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Times `fn` `n` times; returns the median in ms. */
export async function timeMedian(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/**
 * A publish that tries again after a timeout: on a box loaded by other work a PubAck can take
 * longer than the client's default 5 s, and one lost publish should not end a long run. A retried
 * message may be stored twice (no message id); the figures count subjects, not messages.
 */
export async function publishPatiently(
  js: JetStreamClient,
  subject: string,
  body: Uint8Array,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await js.publish(subject, body, { timeout: 30_000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** This process's thread count (Linux), or null. */
export function threads(): number | null {
  try {
    const m = /Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
