/**
 * Workspace-node configuration: flags and env vars with documented defaults, validated once.
 *   NATS_URL           nats://127.0.0.1:4222
 *   MOE_DATA_DIR       ./.moe  SQLite + session logs; refused on a FUSE filesystem (dataDirFs.ts)
 *   MOE_FILES_ROOT     unset   workspace files under the data dir; set: <root>/<org>/<ws>/files (filesRoot.ts)
 *   MOE_NODE_ID        node-<hostname>-<pid>
 *   MOE_IDLE_MS        60000   passivate actors idle this long
 *   MOE_LEASE_MS       15000   placement lease
 *   MOE_HEARTBEAT_MS   250     heartbeat to `moe_nodes` (at most lease/3; the supervisor's stale threshold is 4 beats)
 *   MOE_ACK_WAIT_MS    30000   ack_wait of each workspace's command consumer (a takeover does not wait for it)
 *   MOE_STEP_DELAY_MS  0       extra delay per scripted-provider step
 *   MOE_REPLICAS       1       JetStream replicas for streams and buckets (3 in a cluster)
 *   MOE_JOURNAL_PURGE  on      purge MOE_EVT entries a verified backup covers (journalRetention.ts)
 *   MOE_JOURNAL_KEEP   1000    covered entries kept per actor subject when purging
 *   MOE_DRAIN_TIMEOUT_MS 30000, MOE_DRAIN_PARALLEL 4: graceful hand-overs (drain.ts)
 *   MOE_NODE_HTTP_PORT 9464    /healthz, /readyz, /metrics (probeServer.ts); `off` disables, 0 picks a free port
 *   MOE_NODE_HTTP_HOST 127.0.0.1  their address (0.0.0.0 in a pod, for the kubelet and Prometheus)
 * Agents (read by effects/agentRuntime.ts at node start; docs/agents.md):
 *   <PROVIDER>_API_KEY / <PROVIDER>_BASE_URL   anthropic, openai, gemini, kimi; none → offline `scripted`
 *   MOE_PROJECT_CONFIG  path of the project config JSON (profiles, tools, approval, limits, plans)
 *   MOE_RATE_LIMITS     JSON provider → { requestsPerMinute?, tokensPerMinute? } (cluster-wide)
 *   MOE_BUDGET_MICROS   default org budget in µ$ of customer price; MOE_BUDGET_PERIOD month|day|total
 *   MOE_TOOLS_SHELL     1 turns the shell tool on;  MOE_TOOLS_APPROVAL  tools needing approval, comma-separated
 */
import { hostname } from 'node:os';
import { NODE_HEARTBEAT_MS } from '../schemas/index.js';
import { errors } from './errors.js';
import { journalRetentionFromEnv, type JournalRetention } from './journalRetention.js';

export interface NodeConfig {
  natsUrl: string;
  dataDir: string;
  /** shared root of workspace files (MOE_FILES_ROOT); undefined → under the data dir */
  filesRoot?: string;
  nodeId: string;
  idleMs: number;
  leaseMs: number;
  /** how often the heartbeat is written (ms) */
  heartbeatMs: number;
  /** ack_wait of the workspace command consumers (ms): when a delivered, unacked command is sent again */
  ackWaitMs: number;
  stepDelayMs: number;
  replicas: number;
  /** what of MOE_EVT is purged after a verified backup */
  journal: JournalRetention;
  /** port of /healthz, /readyz and /metrics (0: a free one; null: not served) */
  httpPort: number | null;
  httpHost: string;
}

/** The node's probe and metrics port unless MOE_NODE_HTTP_PORT says otherwise (Prometheus' exporter range). */
export const DEFAULT_NODE_HTTP_PORT = 9464;

function httpPort(raw: string | undefined): number | null {
  const v = raw?.trim().toLowerCase();
  if (v === 'off' || v === 'false' || v === 'none') return null;
  const port = int('MOE_NODE_HTTP_PORT', v, DEFAULT_NODE_HTTP_PORT);
  if (port > 65_535) throw errors.CONFIG(`MOE_NODE_HTTP_PORT must be a port (0-65535) or off, got "${raw}"`);
  return port;
}

function int(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw errors.CONFIG(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  const n = int(name, raw, fallback);
  if (n === 0) throw errors.CONFIG(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function filesRoot(raw: string | undefined): { filesRoot?: string } {
  const root = raw?.trim();
  return root ? { filesRoot: root } : {};
}

export function nodeConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<NodeConfig> = {},
): NodeConfig {
  return {
    natsUrl: overrides.natsUrl ?? env.NATS_URL ?? 'nats://127.0.0.1:4222',
    dataDir: overrides.dataDir ?? env.MOE_DATA_DIR ?? './.moe',
    ...filesRoot(overrides.filesRoot ?? env.MOE_FILES_ROOT),
    nodeId: overrides.nodeId ?? env.MOE_NODE_ID ?? `node-${hostname()}-${process.pid}`,
    idleMs: overrides.idleMs ?? int('MOE_IDLE_MS', env.MOE_IDLE_MS, 60_000),
    leaseMs: overrides.leaseMs ?? int('MOE_LEASE_MS', env.MOE_LEASE_MS, 15_000),
    heartbeatMs:
      overrides.heartbeatMs ?? positiveInt('MOE_HEARTBEAT_MS', env.MOE_HEARTBEAT_MS, NODE_HEARTBEAT_MS),
    ackWaitMs: overrides.ackWaitMs ?? positiveInt('MOE_ACK_WAIT_MS', env.MOE_ACK_WAIT_MS, 30_000),
    stepDelayMs: overrides.stepDelayMs ?? int('MOE_STEP_DELAY_MS', env.MOE_STEP_DELAY_MS, 0),
    replicas: overrides.replicas ?? int('MOE_REPLICAS', env.MOE_REPLICAS, 1),
    journal: overrides.journal ?? journalRetentionFromEnv(env),
    httpPort: overrides.httpPort !== undefined ? overrides.httpPort : httpPort(env.MOE_NODE_HTTP_PORT),
    httpHost: overrides.httpHost ?? (env.MOE_NODE_HTTP_HOST?.trim() || '127.0.0.1'),
  };
}
