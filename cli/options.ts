/**
 * Option values for the CLI: a flag wins over its environment variable, which wins over the
 * documented default, and every value is checked before a command starts anything. A bad flag is
 * MOE_ERR_USAGE, a bad environment variable MOE_ERR_CONFIG; both name what to change.
 */
import { levels } from 'pino';
import { errors } from './errors.js';
import { stopWithPidFrom } from './stopWithPid.js';

/** Where a value came from, to name it in an error. */
export interface Sourced {
  readonly raw: string;
  /** `--port`, `MOE_PORT` or `default` */
  readonly from: string;
}

/** The flag's value, else the env var's, else the default. */
export function pick(flagValue: unknown, flag: string, env: string | undefined, fallback: string): Sourced {
  if (typeof flagValue === 'string') return { raw: flagValue, from: flag };
  const fromEnv = env ? process.env[env] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, from: env! };
  return { raw: fallback, from: 'default' };
}

function bad(v: Sourced, what: string) {
  const detail = `${v.from} ${what}, got ${JSON.stringify(v.raw)}`;
  return v.from.startsWith('--') ? errors.USAGE(detail) : errors.CONFIG(detail);
}

const DURATION_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration such as `90m`, `36h`, `7d`, `2w` (a number and one unit: s, m, h, d, w), in ms. */
export function duration(v: Sourced): number {
  const m = /^(\d+)([smhdw])$/.exec(v.raw.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw bad(v, 'must be a duration such as 12h, 7d or 2w');
  return ms;
}

/** A TCP port, 0 (any free port) to 65535. */
export function port(v: Sourced): number {
  const n = Number(v.raw);
  if (!/^\d+$/.test(v.raw.trim()) || !Number.isInteger(n) || n > 65535)
    throw bad(v, 'must be a port number 0–65535');
  return n;
}

/** A positive integer (timeouts in ms). */
export function positiveInt(v: Sourced): number {
  const n = Number(v.raw);
  if (!/^\d+$/.test(v.raw.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw bad(v, 'must be a positive integer');
  return n;
}

/** A host name or IP address to listen on. */
export function host(v: Sourced): string {
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(v.raw) && !/^\[[0-9A-Fa-f:.]+\]$/.test(v.raw))
    throw bad(v, 'must be a host name or IP address');
  return v.raw;
}

/**
 * A NATS server URL (`nats://host:port`; `host:port` is taken as nats://), or the servers of one
 * cluster separated by commas (`nats://h1:4222,nats://h2:4222`), each checked the same way.
 */
export function natsUrl(v: Sourced): string {
  const urls = v.raw.split(',').map((one) => oneNatsUrl({ ...v, raw: one.trim() }));
  return urls.join(',');
}

function oneNatsUrl(v: Sourced): string {
  const withScheme = /^[a-z]+:\/\//i.test(v.raw) ? v.raw : `nats://${v.raw}`;
  let url: URL;
  try {
    url = new URL(withScheme.replace(/^(nats|tls|ws|wss):/i, 'http:'));
  } catch {
    throw bad(v, 'must be a NATS URL such as nats://127.0.0.1:4222');
  }
  if (
    !/^(nats|tls|ws|wss):\/\//i.test(withScheme) ||
    !url.hostname ||
    !['', '/'].includes(url.pathname) ||
    url.search ||
    url.hash
  )
    throw bad(v, 'must be a NATS URL such as nats://127.0.0.1:4222');
  return withScheme;
}

/** MOE_JWT_SECRET, when set, must be long enough for HS256 (the gateway refuses shorter ones). */
export function checkJwtSecret(env: NodeJS.ProcessEnv = process.env): void {
  const s = env.MOE_JWT_SECRET;
  if (s !== undefined && s !== '' && s.length < 32)
    throw errors.CONFIG(`MOE_JWT_SECRET must be at least 32 characters (it has ${s.length})`);
}

/** MOE_CORS_ORIGINS, when set, must be `*` or origins as browsers send them (gateway/cors.ts). */
export async function checkCorsOrigins(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // loaded here, not at the top: every command imports this file, and only up and gateway need it
  const { parseCorsOrigins } = await import('../gateway/index.js');
  try {
    parseCorsOrigins(env.MOE_CORS_ORIGINS);
  } catch (err) {
    throw errors.CONFIG((err as Error).message);
  }
}

/** MOE_STOP_WITH_PID, when set, must be a pid (cli/stopWithPid.ts). */
export function checkStopWithPid(env: NodeJS.ProcessEnv = process.env): void {
  try {
    stopWithPidFrom(env);
  } catch (err) {
    throw errors.CONFIG((err as Error).message);
  }
}

/** MOE_LOG_LEVEL, when set, must be a pino level. */
export function checkLogLevel(env: NodeJS.ProcessEnv = process.env): void {
  const l = env.MOE_LOG_LEVEL;
  if (l !== undefined && l !== '' && !(l in levels.values) && l !== 'silent')
    throw errors.CONFIG(
      `MOE_LOG_LEVEL must be one of ${[...Object.keys(levels.values), 'silent'].join(', ')}, got ${JSON.stringify(l)}`,
    );
}

/** MOE_GATEWAY_SNAPSHOT_MS, when set, must be a positive integer (the usage snapshot interval). */
export function checkSnapshotInterval(): void {
  const v = pick(undefined, '', 'MOE_GATEWAY_SNAPSHOT_MS', '');
  if (v.from !== 'default') positiveInt(v);
}
