/**
 * `moe_agent_runs_total{status,provider,agent}`: live records folded by the usage projection reach
 * the run counter with the task's agent profile, a failed run with the provider of its last call,
 * and tenant-chosen agent names beyond the bound share the `other` series.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../schemas/index.js';
import { agentRunObserver } from '../../gateway/agentRunMetrics.js';
import { createMetrics } from '../../gateway/metrics.js';
import { UsageProjection } from '../../gateway/usageProjection.js';

const WS = 'w0123456789abcdef';
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
let turn = 0;

function rec(
  id: string,
  events: JournalRecord['events'],
  cmd: { type: string; data?: Record<string, unknown> } = { type: 'effect.result' },
  status: JournalRecord['status'] = 'active',
): JournalRecord {
  turn += 1;
  return {
    actor: { org: 'o1', ws: WS, kind: 'agent', id },
    turn,
    session: '_workspace',
    cmd: { id: `c${turn}`, type: cmd.type, at: turn, ...(cmd.data ? { data: cmd.data } : {}) },
    state: 'thinking',
    status,
    events,
    effects: [],
    cancels: [],
  };
}

const task = (n: number) => `${WS}-p0123456789abcdef-t${String(n).padStart(16, '0')}`;
const submitted = (id: string, profile?: string) =>
  rec(id, [{ type: 'task.accepted', prompt: 'x' }], {
    type: 'task.submit',
    data: { prompt: 'x', ...(profile ? { profile } : {}) },
  });
const call = {
  type: 'usage.recorded',
  effectId: '1.0',
  step: 1,
  provider: 'openai',
  model: 'gpt-x',
  usage,
  costMicros: 70,
  priceMicros: 105,
};
const completed = (id: string) =>
  rec(
    id,
    [call, { type: 'task.completed', result: 'ok', steps: 1, provider: 'openai', usage }],
    undefined,
    'done',
  );
const failed = (id: string) =>
  rec(id, [call, { type: 'task.failed', code: 'MOE_ERR_X', reason: 'y' }], undefined, 'error');

/** the value of one series of moe_agent_runs_total (0 when absent) */
async function runs(
  metrics: ReturnType<typeof createMetrics>,
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metrics.agentRuns.get();
  const hit = values.find((v) =>
    Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  );
  return hit?.value ?? 0;
}

function live(maxAgents?: number) {
  const metrics = createMetrics();
  const u = new UsageProjection(agentRunObserver(metrics, maxAgents));
  (u as unknown as { liveAfter: number }).liveAfter = 0;
  let seq = 0;
  return { metrics, apply: (r: JournalRecord) => u.apply(r, ++seq) };
}

describe('moe_agent_runs_total', () => {
  it('labels each finished run with its agent profile, and a failed one with its last provider', async () => {
    const { metrics, apply } = live();
    apply(submitted(task(1), 'reviewer'));
    apply(completed(task(1)));
    apply(submitted(task(2)));
    apply(failed(task(2)));
    expect(await runs(metrics, { status: 'completed', provider: 'openai', agent: 'reviewer' })).toBe(1);
    expect(await runs(metrics, { status: 'failed', provider: 'openai', agent: 'default' })).toBe(1);
    const text = await metrics.platformRegistry.metrics();
    expect(text).toContain('moe_agent_runs_total{status="completed",provider="openai",agent="reviewer"} 1');
  });

  it('counts agent names past the bound as other', async () => {
    const { metrics, apply } = live(2);
    ['a', 'b', 'c', 'd', 'a'].forEach((profile, i) => {
      apply(submitted(task(10 + i), profile));
      apply(completed(task(10 + i)));
    });
    expect(await runs(metrics, { agent: 'a' })).toBe(2);
    expect(await runs(metrics, { agent: 'b' })).toBe(1);
    expect(await runs(metrics, { agent: 'other' })).toBe(2);
    expect(await runs(metrics, { agent: 'c' })).toBe(0);
  });
});
