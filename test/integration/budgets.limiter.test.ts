/**
 * Workspace and project budgets in the cluster limiter, over a real nats-server: two limiters on
 * two NATS connections stand for two nodes. Calls reserving and settling at once from both never
 * take a workspace budget past its limit (every value the KV key ever holds is checked), the
 * excess is refused with the scope named, and each alert threshold is journaled exactly once as
 * `budget.alert` on MOE_EVT although both nodes settle across it.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Bucket, KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvCas } from '../../actors/kernel/index.js';
import {
  budgetAlertId,
  budgetKey,
  MoeError,
  periodKey,
  type BudgetRecord,
  type BudgetScope,
  type BudgetSetting,
} from '../../schemas/index.js';
import {
  alertIndexKey,
  createLimiter,
  journalAlertSink,
  kvAlertIndex,
  openLimitsBucket,
  type AlertIndex,
  type Limiter,
} from '../../workspace-node/limits/index.js';
import { fakeClock } from '../fakes/clock.js';
import { startPlatform, type Platform } from '../harness/index.js';

let platform: Platform;
let nc2: NatsConnection;
let kv1: KV;
let kv2: KV;
let idx1: AlertIndex;
let idx2: AlertIndex;
const clock = fakeClock();

beforeAll(async () => {
  platform = await startPlatform();
  nc2 = await connect({ servers: platform.ns.url });
  kv1 = await openLimitsBucket(platform.nc);
  kv2 = await openLimitsBucket(nc2);
  idx1 = kvAlertIndex(kv1, platform.jsm);
  idx2 = kvAlertIndex(kv2, await jetstreamManager(nc2));
});

afterAll(async () => {
  await nc2?.close();
  await platform?.close();
});

/** What `PUT …/budget` writes (gateway/routes/budgets.ts): the setting into the budget's record. */
async function setBudget(scope: BudgetScope, setting: BudgetSetting) {
  await kvCas<BudgetRecord>(kv1, budgetKey(scope), (cur) => ({
    ...(cur ?? { period: periodKey(setting.period ?? 'month', clock.now()), usedMicros: 0 }),
    setting,
  }));
}

function twoNodes(): [Limiter, Limiter] {
  return [
    createLimiter({ kv: kv1, alertIndex: idx1, clock, onAlert: journalAlertSink(jetstream(platform.nc)) }),
    createLimiter({ kv: kv2, alertIndex: idx2, clock, onAlert: journalAlertSink(jetstream(nc2)) }),
  ];
}

const call = (org: string, ws: string, project: string, priceMicros: number) => ({
  org,
  ws,
  project,
  provider: 'anthropic',
  model: 'm',
  tokens: 10,
  priceMicros,
});

describe('workspace and project budgets in the cluster limiter', () => {
  it('two nodes settling at once never overshoot a workspace budget, and each threshold alerts once', async () => {
    const org = 'org-a';
    const ws: BudgetScope = { kind: 'workspace', org, id: 'w1' };
    const project: BudgetScope = { kind: 'project', org, id: 'p1' };
    const LIMIT = 100_000;
    await setBudget(ws, { limitMicros: LIMIT });
    await setBudget(project, { limitMicros: 10 * LIMIT });
    const nodes = twoNodes();

    const seen: number[] = [];
    const watch = await kv1.watch({ key: budgetKey(ws) });
    const watching = (async () => {
      for await (const e of watch) if (e.operation === 'PUT') seen.push(e.json<BudgetRecord>().usedMicros);
    })();

    // 2 nodes × 6 workers, each calling until refused twice: estimate 5 000 µ$, real price 5 000
    // (a call never costs more than its estimate, which assumes the profile's maximum output).
    let settled = 0;
    const refusals: MoeError[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, w) => {
        const node = nodes[w % 2]!;
        for (let refused = 0; refused < 2;) {
          try {
            const ticket = await node.reserve(call(org, ws.id, project.id, 5_000));
            await ticket.settle({ tokens: 10, priceMicros: 5_000 });
            settled += 5_000;
          } catch (err) {
            refusals.push(err as MoeError);
            refused++;
          }
        }
      }),
    );
    watch.stop();
    await watching;

    const wsRecord = await nodes[0].budgetRecord(ws);
    expect(wsRecord?.usedMicros).toBe(settled);
    expect(settled).toBe(LIMIT);
    expect(Math.max(...seen)).toBeLessThanOrEqual(LIMIT);
    expect(refusals.length).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(r.code).toBe('MOE_ERR_BUDGET_EXCEEDED');
      expect(r.details).toMatchObject({ scope: 'workspace', scopeId: 'w1', limitMicros: LIMIT });
    }
    // the project counted the same calls; refused ones were given back to it
    expect((await nodes[1].budgetRecord(project))?.usedMicros).toBe(settled);

    // alerts: 50, 80 and 100 % of the workspace budget, once each; the project (10 %) none
    const alerts = (await platform.records(`moe.evt.${org}.*.budget.>`)).flatMap(({ record }) =>
      record.events.filter((e) => e.type === 'budget.alert'),
    );
    const wsAlerts = alerts.filter((a) => a.scopeId === 'w1');
    expect(wsAlerts.map((a) => a.threshold).sort((a, b) => Number(a) - Number(b))).toEqual([50, 80, 100]);
    expect(alerts.filter((a) => a.scope === 'project')).toEqual([]);
    expect(new Set(wsAlerts.map((a) => a.id)).size).toBe(3);
    expect(wsRecord?.alerted ? [...wsRecord.alerted].sort((a, b) => a - b) : []).toEqual([50, 80, 100]);
    // the alert journal is a clean actor journal: turns 1..3 on the budget's pseudo-actor
    const turns = (await platform.records(`moe.evt.${org}.w1.budget.ws-w1`)).map((r) => r.record.turn);
    expect(turns.sort()).toEqual([1, 2, 3]);
  });

  it('a project budget refuses with its scope, and the org and workspace reservations are given back', async () => {
    const org = 'org-b';
    const ws: BudgetScope = { kind: 'workspace', org, id: 'w2' };
    const project: BudgetScope = { kind: 'project', org, id: 'p2' };
    await setBudget(ws, { limitMicros: 1_000_000 });
    await setBudget(project, { limitMicros: 8_000, thresholds: [75] });
    const [node] = twoNodes();
    const org1 = createLimiter({
      kv: kv1,
      clock,
      budgetOf: () => ({ limitMicros: 1_000_000, period: 'month' }),
    });

    const t = await org1.reserve(call(org, ws.id, project.id, 5_000));
    await t.settle({ tokens: 10, priceMicros: 4_000 });
    const refused = await node
      .reserve(call(org, ws.id, project.id, 5_000))
      .catch((e: unknown) => e as MoeError);
    expect(refused).toBeInstanceOf(MoeError);
    expect((refused as MoeError).details).toMatchObject({
      scope: 'project',
      scopeId: 'p2',
      usedMicros: 4_000,
    });
    expect((await org1.budgetState(org))?.usedMicros).toBe(4_000);
    expect((await node.budgetRecord(ws))?.usedMicros).toBe(4_000);
    expect((await node.budgetRecord(project))?.usedMicros).toBe(4_000);

    // a workspace without a budget set is not written to at all
    await (await org1.reserve(call(org, 'w-free', project.id, 1_000))).release();
    expect(await node.budgetRecord({ kind: 'workspace', org, id: 'w-free' })).toBeUndefined();
  });

  it('an alert whose node died before journaling it is journaled by the next settlement, once', async () => {
    const org = 'org-c';
    const ws: BudgetScope = { kind: 'workspace', org, id: 'w3' };
    await setBudget(ws, { limitMicros: 10_000, thresholds: [50] });
    const [, node2] = twoNodes();
    // node 1 wins the 50 % marker, then "dies" before its publish reaches the journal
    const dying = createLimiter({
      kv: kv1,
      alertIndex: idx1,
      clock,
      onAlert: () => Promise.reject(new Error('node died')),
    });
    const t = await dying.reserve(call(org, ws.id, 'p3', 6_000));
    await expect(t.settle({ tokens: 10, priceMicros: 6_000 })).rejects.toThrow('node died');
    const marked = await node2.budgetRecord(ws);
    expect(marked?.alerted).toEqual([50]);
    expect(marked?.pending?.map((p) => p.alert.threshold)).toEqual([50]);

    const journaled = async () =>
      (await platform.records(`moe.evt.${org}.w3.budget.>`)).flatMap(({ record }) => record.events);
    // a settlement right after leaves it to its claimer (it may still be publishing)
    await (await node2.reserve(call(org, ws.id, 'p3', 100))).settle({ tokens: 10, priceMicros: 100 });
    expect(await journaled()).toEqual([]);
    // once the claim is stale, the next settlement on any node journals it
    clock.advance(31_000);
    await (await node2.reserve(call(org, ws.id, 'p3', 100))).settle({ tokens: 10, priceMicros: 100 });
    await (await node2.reserve(call(org, ws.id, 'p3', 100))).settle({ tokens: 10, priceMicros: 100 });
    const events = await journaled();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'budget.alert',
      threshold: 50,
      usedMicros: 6_000,
      scopeId: 'w3',
    });
    expect((await node2.budgetRecord(ws))?.pending).toBeUndefined();
  });

  it("an alert left pending mid-send is published at its node's next start, before any settlement, once", async () => {
    const org = 'org-d';
    const ws: BudgetScope = { kind: 'workspace', org, id: 'w4' };
    await setBudget(ws, { limitMicros: 10_000, thresholds: [50, 80] });
    const journaled = async () =>
      (await platform.records(`moe.evt.${org}.w4.budget.>`)).flatMap(({ record }) => record.events);
    const dying = createLimiter({
      kv: kv1,
      alertIndex: idx1,
      clock,
      owner: 'node-x',
      onAlert: () => Promise.reject(new Error('node died')),
    });
    const t = await dying.reserve(call(org, ws.id, 'p4', 6_000));
    await expect(t.settle({ tokens: 10, priceMicros: 6_000 })).rejects.toThrow('node died');
    expect((await dying.budgetRecord(ws))?.pending?.map((p) => p.claimedBy)).toEqual(['node-x']);

    // another node sweeping right away leaves it alone: its claimer may still be publishing
    const other = createLimiter({
      kv: kv2,
      alertIndex: idx2,
      clock,
      owner: 'node-y',
      onAlert: journalAlertSink(jetstream(nc2)),
    });
    expect(await other.recoverAlerts()).toBe(0);
    expect(await journaled()).toEqual([]);

    // node-x starts again: what it claimed before is published at once, with no settlement
    clock.advance(1_000);
    const restarted = createLimiter({
      kv: kv1,
      alertIndex: idx1,
      clock,
      owner: 'node-x',
      onAlert: journalAlertSink(jetstream(platform.nc)),
    });
    expect(await restarted.recoverAlerts()).toBe(1);
    expect(await restarted.recoverAlerts()).toBe(0);
    clock.advance(31_000);
    expect(await other.recoverAlerts()).toBe(0);
    const events = await journaled();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'budget.alert', threshold: 50, usedMicros: 6_000 });
    expect((await restarted.budgetRecord(ws))?.pending).toBeUndefined();

    // a node that died and never came back: any node's sweep publishes it once its claim is stale
    const dead = createLimiter({
      kv: kv1,
      alertIndex: idx1,
      clock,
      owner: 'node-z',
      onAlert: () => Promise.reject(new Error('node died')),
    });
    const t2 = await dead.reserve(call(org, ws.id, 'p4', 2_500));
    await expect(t2.settle({ tokens: 10, priceMicros: 2_500 })).rejects.toThrow('node died');
    expect(await other.recoverAlerts()).toBe(0);
    clock.advance(30_000);
    // the sweep and the publish of a claim that had in fact landed: still one event per threshold
    await journalAlertSink(jetstream(platform.nc))((await dead.budgetRecord(ws))!.pending![0]!.alert, {
      ws: 'w4',
      seq: 2,
    });
    expect(await other.recoverAlerts()).toBe(1);
    const all = await journaled();
    expect(all.map((e) => (e as { threshold?: number }).threshold)).toEqual([50, 80]);
    expect((await other.budgetRecord(ws))?.pending).toBeUndefined();
  });

  it('a sweep reads only the budgets the pending-alerts index names, and drops stale orphans', async () => {
    const org = 'org-e';
    const scopes = Array.from({ length: 20 }, (_, i): BudgetScope => ({
      kind: 'workspace',
      org,
      id: `w${i}`,
    }));
    for (const s of scopes) await setBudget(s, { limitMicros: 10_000, thresholds: [50] });
    const [w0, w1] = [scopes[0]!, scopes[1]!];
    // w0: an alert marked, then its node died before the publish: indexed before it was marked
    const dying = createLimiter({
      kv: kv1,
      alertIndex: idx1,
      clock,
      owner: 'node-e',
      onAlert: () => Promise.reject(new Error('node died')),
    });
    const t = await dying.reserve(call(org, w0.id, 'p5', 6_000));
    await expect(t.settle({ tokens: 10, priceMicros: 6_000 })).rejects.toThrow('node died');
    const id = budgetAlertId(w0, periodKey('month', clock.now()), 50);
    expect((await kv1.get(alertIndexKey(id)))?.json()).toMatchObject({ budget: budgetKey(w0), id });
    // w1: indexed but never marked (another node won the mark): an orphan, stale by the sweep
    await idx1.add(budgetKey(w1), ['ba-orphan-old'], clock.now());
    clock.advance(31_000);
    // and a fresh one, which may still be about to be marked: kept
    await idx1.add(budgetKey(w1), ['ba-orphan-new'], clock.now());

    const reads: string[] = [];
    const counted = new Proxy(kv2, {
      get(target, prop) {
        if (prop === 'get')
          return (k: string) => {
            reads.push(k);
            return target.get(k);
          };
        if (prop === 'jsm') {
          // listings (kvKeys) are stream infos filtered by subject: `keys <filter>`
          const { streams } = (target as Bucket).jsm;
          return {
            streams: {
              info: (name: string, q?: { subjects_filter?: string }) => {
                reads.push(`keys ${q?.subjects_filter?.replace(/^\$KV\.[^.]+\./, '')}`);
                return streams.info(name, q);
              },
            },
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const sweeper = createLimiter({
      kv: counted,
      alertIndex: kvAlertIndex(counted, await jetstreamManager(nc2)),
      clock,
      owner: 'node-f',
      onAlert: journalAlertSink(jetstream(nc2)),
    });
    expect(await sweeper.recoverAlerts()).toBe(1);
    expect(reads).toContain('keys alertpending.>');
    expect(reads.filter((k) => k.startsWith('keys budget'))).toEqual([]);
    // of the 20 budgets of this org, only the two the index names are read
    expect(new Set(reads.filter((k) => k.startsWith(`budget.${org}.`)))).toEqual(
      new Set([budgetKey(w0), budgetKey(w1)]),
    );
    const events = (await platform.records(`moe.evt.${org}.w0.budget.>`)).flatMap(
      ({ record }) => record.events,
    );
    expect(events).toHaveLength(1);
    expect((await sweeper.budgetRecord(w0))?.pending).toBeUndefined();
    expect(await kv1.get(alertIndexKey(id))).toBeNull();
    expect(await kv1.get(alertIndexKey('ba-orphan-old'))).toBeNull();
    expect(await kv1.get(alertIndexKey('ba-orphan-new'))).not.toBeNull();
    expect(await sweeper.recoverAlerts()).toBe(0);
  });
});
