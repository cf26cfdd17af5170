/**
 * kill -9 mid-alert (issue 12 gap 4): a `moe node` process is SIGKILLed right after a settlement
 * marked a workspace budget's threshold in KV and before the `budget.alert` is published
 * (MOE_FAULT_KILL_AFTER_ALERT_MARK, workspace-node/faults.ts). The node started again on its data
 * dir publishes the alert at start — no further call or settlement of that budget happens — and
 * exactly once; the interrupted task completes from its recorded outcome. Real nats-server, real
 * node processes killed and stopped by pid, an Anthropic-compatible fake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvCas } from '../../actors/kernel/index.js';
import {
  budgetAlertId,
  budgetKey,
  periodKey,
  type BudgetRecord,
  type BudgetScope,
} from '../../schemas/index.js';
import { alertIndexKey, openLimitsBucket } from '../../workspace-node/limits/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import {
  type Platform,
  eventually,
  exited,
  startPlatform,
  tempDir,
  withNodeChildren,
} from '../harness/index.js';

let p: Platform;
let fake: FakeProviderServer;
const data = tempDir('moe-kill-alert-data-');
beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
});
afterAll(async () => {
  await p?.close();
  await fake?.close();
  data.remove();
});

const ORG = 'ka';
const WS = 'w1';

describe('kill -9 between marking a budget alert and publishing it', () => {
  it('the restarted node publishes the alert at start, once', async () => {
    const kv = await openLimitsBucket(p.nc);
    const scope: BudgetScope = { kind: 'workspace', org: ORG, id: WS };
    // $10 a month, alert at 1 %: the one call below (≥ 0.1 $ at 5×) crosses it
    await kvCas<BudgetRecord>(kv, budgetKey(scope), () => ({
      period: periodKey('month', Date.now()),
      usedMicros: 0,
      setting: { limitMicros: 10_000_000, period: 'month', thresholds: [1] },
    }));
    fake.enqueue('anthropic', fakeReply({ text: 'done', usage: { input: 100_000, output: 100 } }));
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.anthropicBaseURL };
    await withNodeChildren(p, async (nodes) => {
      const first = nodes.spawn(
        'node-a',
        data.path,
        { ...env, MOE_FAULT_KILL_AFTER_ALERT_MARK: '1' },
        'SIGKILL',
      );
      const task = p.client.runTask(ORG, WS, 't1', { prompt: 'spend' }, { timeoutMs: 120_000 });
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
      const marked = (await kv.get(budgetKey(scope)))!.json<BudgetRecord>();
      expect(marked.alerted).toEqual([1]);
      expect(marked.pending?.map((a) => [a.alert.threshold, a.claimedBy])).toEqual([[1, 'node-a']]);
      // indexed before it was marked: recovery finds it without reading every budget
      const indexKey = alertIndexKey(budgetAlertId(scope, marked.period, 1));
      expect((await kv.get(indexKey))?.json()).toMatchObject({ budget: budgetKey(scope) });
      const journaled = async () =>
        (await p.records(`moe.evt.${ORG}.${WS}.budget.>`)).flatMap(({ record }) => record.events);
      expect(await journaled()).toEqual([]);

      nodes.spawn('node-a', data.path, env);
      const events = await eventually(
        async () => ((await journaled()).length > 0 ? journaled() : undefined),
        {
          timeoutMs: 60_000,
          what: 'budget.alert after the restart',
        },
      );
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'budget.alert',
        scope: 'workspace',
        scopeId: WS,
        threshold: 1,
      });
      await eventually(
        async () => ((await kv.get(budgetKey(scope)))!.json<BudgetRecord>().pending ? undefined : true),
        { timeoutMs: 30_000, what: 'the pending alert confirmed' },
      );
      await eventually(async () => ((await kv.get(indexKey)) === null ? true : undefined), {
        timeoutMs: 30_000,
        what: 'its index entry removed',
      });
      // the task finishes from its recorded reply: no second call, no second settlement, no repeat
      const { outcome } = await task;
      expect(outcome.type).toBe('task.completed');
      expect(fake.requests.length).toBe(1);
      expect(await journaled()).toHaveLength(1);
    });
  }, 180_000);
});
