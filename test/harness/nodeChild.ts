/**
 * `moe node` child processes of one test, stopped when the test ends — also when it fails: the
 * chaos tests start a node that kills itself at a fault (or is killed), then start one again on its
 * data dir, and must not leave either running. Each child is stopped by its pid with the signal it
 * was spawned for (SIGKILL for a node meant to die, SIGTERM for a graceful stop, escalated to
 * SIGKILL if it has not exited within a grace period), and awaited.
 */
import type { ChildProcess } from 'node:child_process';
import type { Platform } from './platform.js';
import { exited } from './util.js';

export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** How long a SIGTERMed node may drain (MOE_DRAIN_TIMEOUT_MS is 30 s) before it gets SIGKILL. */
const GRACE_MS = 45_000;

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** Sends `signal` to the child's pid if it still runs (SIGTERM escalated after `graceMs`), then waits for its exit. */
export async function stopChild(
  child: ChildProcess,
  signal: StopSignal = 'SIGTERM',
  graceMs = GRACE_MS,
): Promise<void> {
  if (!running(child)) return;
  child.kill(signal);
  if (signal === 'SIGTERM') {
    const timer = setTimeout(() => running(child) && child.kill('SIGKILL'), graceMs);
    await exited(child).finally(() => clearTimeout(timer));
  } else await exited(child);
}

export interface NodeChildren {
  /**
   * Spawns a `moe node` (the platform's `spawnNode`); {@link NodeChildren.stopAll} stops it with
   * `stopWith` (SIGKILL for a node started to die at a fault) if it still runs.
   */
  spawn(id: string, dataDir?: string, env?: Record<string, string>, stopWith?: StopSignal): ChildProcess;
  /** stops every child spawned, in the order they were spawned, and waits for their exits */
  stopAll(): Promise<void>;
}

/** A spawner of node children; call `stopAll()` in a `finally` (or use {@link withNodeChildren}). */
export function nodeChildren(p: Pick<Platform, 'spawnNode'>): NodeChildren {
  const spawned: Array<{ child: ChildProcess; stopWith: StopSignal }> = [];
  return {
    spawn(id, dataDir, env = {}, stopWith = 'SIGTERM') {
      const child = p.spawnNode(id, dataDir, env);
      spawned.push({ child, stopWith });
      return child;
    },
    async stopAll() {
      for (const { child, stopWith } of spawned) await stopChild(child, stopWith);
    },
  };
}

/**
 * Runs `body` with a spawner of node children, and stops every child it spawned afterwards,
 * whether `body` passed or threw.
 *
 * @example
 *   await withNodeChildren(p, async (nodes) => {
 *     const first = nodes.spawn('node-a', data.path, { MOE_FAULT_KILL_AFTER_ALERT_MARK: '1' }, 'SIGKILL');
 *     await exited(first);
 *     nodes.spawn('node-a', data.path);
 *   });
 */
export async function withNodeChildren<T>(
  p: Pick<Platform, 'spawnNode'>,
  body: (nodes: NodeChildren) => Promise<T>,
): Promise<T> {
  const nodes = nodeChildren(p);
  try {
    return await body(nodes);
  } finally {
    await nodes.stopAll();
  }
}
