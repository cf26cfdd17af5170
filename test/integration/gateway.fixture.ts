/**
 * Shared setup of the gateway tests: a real nats-server, a real workspace-node (hosting the tenancy
 * and runtime actors), and a gateway built on them; helpers to register, log in and create an org.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { buildGateway, type Gateway, type GatewayOptions } from '../../gateway/index.js';
import { secretBox } from '../../gateway/webhooks/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';

export const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
/** the operator token that unlocks the platform-wide part of `/metrics` on the stack's gateway */
export const METRICS_TOKEN = 'operator-metrics-token-for-tests';

/** the key the stack's gateway seals webhook secrets under (MOE_SECRETS_KEY in production) */
export const SECRETS_KEY = randomBytes(32);

export interface Stack {
  ns: NatsServerHandle;
  nc: NatsConnection;
  node: WorkspaceNode | null;
  gw: Gateway;
  /** the workspace node's data directory */
  dataDir: string;
  stop(): Promise<void>;
}

export async function startStack(
  opts: { node?: boolean; gateway?: Partial<GatewayOptions>; natsConfig?: string } = {},
): Promise<Stack> {
  const ns = await startNatsServer(opts.natsConfig !== undefined ? { config: opts.natsConfig } : {});
  const nc = await connect({ servers: ns.url });
  await ensureStreams(nc, await jetstreamManager(nc));
  const dir = tempDir('moe-gw-');
  const node =
    opts.node === false
      ? null
      : await startWorkspaceNode({
          natsUrl: ns.url,
          dataDir: dir.path,
          nodeId: 'gw-test-node',
          logger: silentLogger(),
        });
  const gw = await buildGateway({
    nc,
    jwtSecret: JWT_SECRET,
    metricsToken: METRICS_TOKEN,
    logger: false,
    secretBox: secretBox(SECRETS_KEY),
    ...opts.gateway,
  });
  return {
    ns,
    nc,
    node,
    gw,
    dataDir: dir.path,
    async stop() {
      await gw.close();
      await node?.stop();
      await nc.close();
      await ns.stop();
      dir.remove();
    },
  };
}

function silentLogger() {
  // pino-compatible no-op logger without importing pino types
  const noop = () => undefined;
  const l = {
    info: noop,
    warn: noop,
    error: noop,
    debug: noop,
    trace: noop,
    fatal: noop,
    child: () => l,
    level: 'silent',
  };
  return l as never;
}

let counter = 0;
export async function registerAndLogin(
  gw: Gateway,
  name = 'user',
): Promise<{ id: string; email: string; token: string; auth: { authorization: string } }> {
  const email = `${name}-${process.pid}-${++counter}@example.com`;
  const password = 'correct horse battery';
  const reg = await gw.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password, name },
  });
  if (reg.statusCode !== 201) throw new Error(`register ${reg.statusCode} ${reg.body}`);
  const login = await gw.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login ${login.statusCode} ${login.body}`);
  const token = login.json<{ token: string }>().token;
  return { id: reg.json<{ id: string }>().id, email, token, auth: { authorization: `Bearer ${token}` } };
}

export async function call<T = Record<string, unknown>>(
  gw: Gateway,
  auth: Record<string, string>,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await gw.app.inject({
    method,
    url,
    headers: auth,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as T };
}
