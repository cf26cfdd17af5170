/**
 * Tracing across processes, as deployed: `moe gateway` and `moe node` run as child processes with
 * MOE_TRACING=otlp and OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver in the
 * test. A task submitted over REST yields spans from both services in the one trace the gateway
 * answered in `x-trace-id`, and the node's turn is a child of the gateway's command publish: the
 * W3C context crossed the process boundary in the NATS headers.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';
import { reapAll, startMoe } from './cli.kit.js';

interface Received {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

let ns: NatsServerHandle;
let receiver: Server;
let endpoint: string;
const received: Received[] = [];
const dir = tempDir('moe-otlp-');

/** OTLP/JSON ids are hex; accept base64 too. */
const hex = (id: string | undefined) =>
  !id ? '' : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');

interface OtlpBody {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{
      spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string }>;
    }>;
  }>;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        for (const rs of (JSON.parse(body) as OtlpBody).resourceSpans ?? []) {
          const service =
            rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              received.push({
                service,
                name: s.name,
                traceId: hex(s.traceId),
                spanId: hex(s.spanId),
                parentSpanId: hex(s.parentSpanId),
              });
        }
      } catch {
        // not JSON: not counted
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const address = receiver.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  ns = await startNatsServer();
});

afterAll(async () => {
  await reapAll([dir.path]);
  await ns?.stop();
  await new Promise((r) => receiver?.close(r));
  dir.remove();
});

describe('tracing over OTLP', () => {
  it('a task through a gateway and a node process is one trace, exported by both', async () => {
    const env = {
      NATS_URL: ns.url,
      MOE_TRACING: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      MOE_JWT_SECRET: 'otlp-test-secret-otlp-test-secret-0123',
    };
    const node = startMoe(['node', '--nats', ns.url, '--data-dir', dir.path, '--id', 'otlp-node'], env);
    await node.waitFor(/workspace-node otlp-node on/, 30_000);
    expect(node.output()).toMatch(
      /tracing\s+OpenTelemetry, OTLP\/HTTP to http:\/\/127\.0\.0\.1:\d+ \(service moe-node\)/,
    );
    const gateway = startMoe(['gateway', '--port', '0', '--host', '127.0.0.1', '--nats', ns.url], env);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/\S+)/, 30_000))[1]!;

    const post = async <T>(path: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, traceId: res.headers.get('x-trace-id'), body: (await res.json()) as T };
    };
    const creds = { email: 'otlp@example.com', password: 'correct horse battery' };
    expect((await post('/auth/register', { ...creds, name: 'otlp' })).status).toBe(201);
    const { token } = (await post<{ token: string }>('/auth/login', creds)).body;
    const org = (await post<{ id: string }>('/api/orgs', { name: 'Otlp' }, token)).body.id;
    const ws = (await post<{ id: string }>('/api/workspaces', { org, name: 'w' }, token)).body.id;
    const project = (await post<{ id: string }>(`/api/workspaces/${ws}/projects`, { name: 'p' }, token)).body
      .id;
    const task = await post<{ id: string }>(
      `/api/projects/${project}/tasks`,
      { prompt: 'over the wire', script: [{ text: 'hello' }] },
      token,
    );
    expect(task.status).toBe(202);
    const traceId = task.traceId!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    await eventually(
      () => {
        const spans = received.filter((s) => s.traceId === traceId);
        const one = (service: string, name: string) =>
          spans.find((s) => s.service === service && s.name === name);
        const request = one('moe-gateway', 'POST /api/projects/:id/tasks');
        const send = one('moe-gateway', 'send task.submit');
        const turn = one('moe-node', 'turn agent task.submit');
        const llm = one('moe-node', 'llm.call');
        if (!request || !send || !turn || !llm || !one('moe-node', 'turn agent effect.result'))
          return undefined;
        expect(send.parentSpanId).toBe(request.spanId);
        expect(turn.parentSpanId).toBe(send.spanId);
        expect(request.parentSpanId).toBe('');
        return true;
      },
      { timeoutMs: 20_000, what: `the spans of trace ${traceId}` },
    );
  }, 60_000);
});
