/**
 * The workspace-node's small HTTP side for orchestrators and Prometheus (plain node:http, no
 * framework: three GET routes):
 *   GET /healthz  200 `{"ok":true,"node":…}` while the process serves (liveness)
 *   GET /readyz   200 when ready, else 503; the body names each check (readiness.ts)
 *   GET /metrics  Prometheus text (metrics.ts)
 * Anything else is 404 MOE_ERR_ROUTE_NOT_FOUND, a method other than GET/HEAD 405
 * MOE_ERR_METHOD_NOT_ALLOWED, as `{error: {code, message}}` (errors.ts). Address: MOE_NODE_HTTP_PORT /
 * MOE_NODE_HTTP_HOST (config.ts). A port that cannot be bound is logged and the node runs on without
 * probes: the probes observe the node, they must not be what stops it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MoeError } from '../schemas/index.js';
import { errors } from './errors.js';
import type { Readiness } from './readiness.js';

export interface ProbeServerOptions {
  readonly port: number;
  readonly host: string;
  readonly nodeId: string;
  readonly registry: Registry;
  readiness(): Readiness;
  readonly log: Logger;
}

export interface ProbeServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the server; null (logged) when the address cannot be bound. */
export async function startProbeServer(o: ProbeServerOptions): Promise<ProbeServer | null> {
  const json = (status: number, body: unknown) => ({
    status,
    type: 'application/json; charset=utf-8',
    body: JSON.stringify(body),
  });
  const refused = (e: MoeError) => json(e.status, { error: { code: e.code, message: e.message } });
  const answer = async (method: string, path: string) => {
    if (method !== 'GET' && method !== 'HEAD') return refused(errors.METHOD_NOT_ALLOWED(method));
    if (path === '/healthz') return json(200, { ok: true, node: o.nodeId });
    if (path === '/readyz') {
      const r = o.readiness();
      return json(r.ready ? 200 : 503, { ...r, node: o.nodeId });
    }
    if (path === '/metrics')
      return { status: 200, type: o.registry.contentType, body: await o.registry.metrics() };
    return refused(errors.ROUTE_NOT_FOUND(`${method} ${path}`));
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    answer(req.method ?? 'GET', path)
      .then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      })
      .catch((err: unknown) => {
        o.log.warn({ err, path }, 'probe request failed');
        const { status, type, body } = refused(errors.PROBE_FAILED(String(err)));
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    o.log.error(
      { err, port: o.port, host: o.host },
      'node probes (/healthz, /readyz, /metrics) not served: the address could not be bound',
    );
    return null;
  }
  server.unref();
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
