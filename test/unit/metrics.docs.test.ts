/**
 * docs/operations.md lists every metric the node and the supervisor register, with its type and
 * labels: a metric added, renamed or relabelled in the code without the table (or the reverse)
 * fails here. The prom-client process defaults (`moe_node_process_*`, …) are documented as a group.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createSupervisorMetrics,
  SUPERVISOR_DEFAULT_METRICS_PREFIX,
} from '../../supervisor/processMetrics.js';
import { renderMetrics } from '../../supervisor/metrics.js';
import type { SupervisorStatus } from '../../supervisor/index.js';
import { createNodeMetrics, NODE_DEFAULT_METRICS_PREFIX } from '../../workspace-node/metrics.js';

interface Documented {
  readonly type: string;
  readonly labels: string;
}

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/operations.md'), 'utf8');

/** The table rows between `<!-- metrics:<part>:start -->` and its end marker. */
function documented(part: string): Map<string, Documented> {
  const start = doc.indexOf(`<!-- metrics:${part}:start -->`);
  const end = doc.indexOf(`<!-- metrics:${part}:end -->`);
  expect(start, `docs/operations.md has the ${part} metrics markers`).toBeGreaterThan(0);
  const out = new Map<string, Documented>();
  for (const line of doc.slice(start, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`(moe_\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    const labels = [...(cells[3] ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]).join(',');
    out.set(name, { type: cells[2] ?? '', labels });
  }
  return out;
}

/** Names of the prom-client defaults under `prefix` (left out of the tables). */
async function defaultNames(prefix: string): Promise<Set<string>> {
  const r = new Registry();
  collectDefaultMetrics({ register: r, prefix });
  return new Set((await r.getMetricsAsJSON()).map((m) => m.name));
}

/** name → type and labels of a registry's own metrics. */
async function registered(r: Registry, leaveOut: Set<string>): Promise<Map<string, Documented>> {
  const out = new Map<string, Documented>();
  for (const m of r.getMetricsAsArray() as unknown as Array<{
    name: string;
    labelNames?: string[];
    get(): Promise<{ type: unknown }>;
  }>) {
    if (leaveOut.has(m.name)) continue;
    const json = await m.get();
    out.set(m.name, { type: String(json.type), labels: (m.labelNames ?? []).join(',') });
  }
  return out;
}

const sorted = (m: Map<string, Documented>) => new Map([...m].sort(([a], [b]) => a.localeCompare(b)));

describe('metrics in docs/operations.md', () => {
  it('the node table lists every metric a node registers, with its type and labels', async () => {
    const { registry } = createNodeMetrics({
      workspaces: () => [],
      breakers: () => [],
      natsUp: () => true,
      ready: () => true,
    });
    const code = await registered(registry, await defaultNames(NODE_DEFAULT_METRICS_PREFIX));
    expect(code.size).toBeGreaterThan(15);
    expect(sorted(documented('node'))).toEqual(sorted(code));
  });

  it('the supervisor table lists its process metrics, the cluster gauges and the backup series', async () => {
    const own = createSupervisorMetrics({
      leader: () => true,
      natsUp: () => true,
      ready: () => true,
      leasesReleased: () => 0,
      rebalanceMoves: () => 0,
    });
    const code = await registered(own.registry, await defaultNames(SUPERVISOR_DEFAULT_METRICS_PREFIX));
    // the status-built series: name and type from the text (labels are only on samples)
    const status: SupervisorStatus = {
      supervisor: {
        id: 's',
        leader: true,
        leaderId: 's',
        staleMs: 1000,
        deadNodeTtlMs: 60_000,
        leasesReleased: 0,
      },
      at: 0,
      nodes: [],
      workspaces: [],
      deadLetters: { count: 0, recent: [] },
      streams: [],
    };
    const { body } = await renderMetrics(status);
    const docs = documented('supervisor');
    for (const [, name, type] of body.matchAll(/^# TYPE (\w+) (\w+)$/gm)) {
      expect(docs.get(name!)?.type, `${name} in the supervisor table`).toBe(type);
      code.set(name!, { type: type!, labels: docs.get(name!)!.labels });
    }
    expect(sorted(docs)).toEqual(sorted(code));
  });
});
