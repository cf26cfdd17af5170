/**
 * A `moe node` child process for a bench, as nodes run when deployed: in a process of their own,
 * not on the event loop of the gateway or of the bench's clients. {@link spawnBenchNode} resolves
 * once the node has registered in `moe_nodes`; {@link BenchNode.stop} stops it by its pid (SIGTERM,
 * then SIGKILL after a grace period) and waits for its exit. The child's environment is the
 * bench's without provider keys, so the offline `scripted` provider answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { KV_BUCKETS } from '../schemas/index.js';

const MOE_BIN = new URL('../cli/moe.js', import.meta.url).pathname;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export interface BenchNode {
  readonly id: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
const exited = (c: ChildProcess) =>
  running(c) ? new Promise<void>((r) => c.once('exit', () => r())) : Promise.resolve();

/** This process's environment without provider keys, and extra variables on top. */
export function benchChildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // MOE_STOP_WITH_PID: a bench killed mid-run leaves no node behind (cli/stopWithPid.ts)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MOE_LOG_LEVEL: 'warn',
    MOE_STOP_WITH_PID: String(process.pid),
    ...extra,
  };
  for (const k of Object.keys(env)) if (/_API_KEY$|_BASE_URL$/.test(k)) delete env[k];
  return env;
}

/** @example const node = await spawnBenchNode(nc, natsUrl, dir, 'bench-node'); try { … } finally { await node.stop(); } */
export async function spawnBenchNode(
  nc: NatsConnection,
  natsUrl: string,
  dataDir: string,
  id: string,
  env: Record<string, string> = {},
): Promise<BenchNode> {
  const child = spawn(
    process.execPath,
    [MOE_BIN, 'node', '--nats', natsUrl, '--data-dir', dataDir, '--id', id],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: benchChildEnv(env),
    },
  );
  const stop = async () => {
    if (!running(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => running(child) && child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited(child).finally(() => clearTimeout(timer));
  };
  // a bench that dies does not leave its node behind
  const onExit = () => running(child) && child.kill('SIGKILL');
  process.once('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
  try {
    const nodes = await new Kvm(nc).open(KV_BUCKETS.nodes);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while ((await nodes.get(id))?.operation !== 'PUT') {
      if (!running(child))
        throw new Error(`bench: node ${id} exited at start (${child.exitCode ?? child.signalCode})`);
      if (Date.now() > deadline)
        throw new Error(`bench: node ${id} did not register within ${START_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { id, child, stop };
}
