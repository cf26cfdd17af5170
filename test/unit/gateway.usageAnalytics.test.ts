/**
 * Usage analytics over the projection's time buckets: grouping, [from, to) filtering, a record met
 * twice counted once, the v2 snapshot round trip (and a v1 snapshot still loading), folding old
 * hours into days, and the cost suggestions computed from bucket rows.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../schemas/index.js';
import {
  DAY_MS,
  emptyBucketRow,
  HOUR_MS,
  HOURLY_DAYS,
  UsageBuckets,
  type BucketRow,
} from '../../gateway/usageBuckets.js';
import { UsageProjection, type UsageSnapshotState } from '../../gateway/usageProjection.js';
import { queryUsage } from '../../gateway/usageQuery.js';
import {
  cheaperModelSuggestions,
  costSuggestions,
  failedRunSuggestions,
  promptCacheSuggestions,
} from '../../gateway/usageSuggestions.js';

const T0 = Date.UTC(2026, 10, 1); // 2026-11-01
const ZERO = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
const WS = 'w0123456789abcdef';
const taskId = (n: number) => `${WS}-p0123456789abcdef-t${String(n).padStart(16, '0')}`;

function rec(
  id: string,
  turn: number,
  at: number,
  events: JournalRecord['events'],
  opts: { status?: JournalRecord['status']; profile?: string; ws?: string } = {},
): JournalRecord {
  return {
    actor: { org: 'o1', ws: opts.ws ?? WS, kind: 'agent', id },
    turn,
    session: '_workspace',
    cmd: {
      id: `${id}-c${turn}`,
      type: turn === 1 ? 'task.submit' : 'effect.result',
      at,
      ...(turn === 1 ? { data: { prompt: 'x', profile: opts.profile ?? 'coder' } } : {}),
    },
    state: 's',
    status: opts.status ?? 'active',
    events,
    effects: [],
    cancels: [],
  };
}

const call = (
  step: number,
  model: string,
  cost: number,
  usage = { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
) => ({
  type: 'usage.recorded',
  effectId: `${step}.0`,
  step,
  provider: 'anthropic',
  model,
  usage,
  costMicros: cost,
  priceMicros: cost * 5,
});

/** One task: submitted at `at`, one call, completed (or failed) in the same turn. */
function task(
  u: UsageProjection,
  n: number,
  at: number,
  opts: { model?: string; fail?: boolean; profile?: string; ws?: string } = {},
) {
  const id = taskId(n);
  u.apply(rec(id, 1, at, [{ type: 'task.accepted', prompt: 'x' }], opts));
  const end = opts.fail
    ? { type: 'task.failed', code: 'MOE_ERR_X', reason: 'x' }
    : { type: 'task.completed', result: 'ok', steps: 1, provider: 'anthropic', usage: ZERO };
  u.apply(
    rec(id, 2, at + 1000, [call(1, opts.model ?? 'claude-haiku-4-5', 700), end], {
      ...opts,
      status: opts.fail ? 'error' : 'done',
    }),
  );
}

describe('usage analytics (projection buckets)', () => {
  it('groups by day, provider and model, and filters [from, to) on whole hours', () => {
    const u = new UsageProjection();
    task(u, 1, T0 + 10 * HOUR_MS);
    task(u, 2, T0 + 11 * HOUR_MS, { model: 'claude-opus-4-5' });
    task(u, 3, T0 + DAY_MS + HOUR_MS);
    const byDay = queryUsage(u, { org: 'o1', ws: WS }, 'day');
    expect(byDay.groups?.map((g) => [g.key, g.calls, g.runs, g.costMicros, g.marginMicros])).toEqual([
      ['2026-11-01', 2, 2, 1400, 5600],
      ['2026-11-02', 1, 1, 700, 2800],
    ]);
    expect(byDay.total).toMatchObject({
      calls: 3,
      costMicros: 2100,
      priceMicros: 10_500,
      marginMicros: 8400,
    });
    const byModel = queryUsage(u, { org: 'o1' }, 'model');
    expect(Object.fromEntries(byModel.groups!.map((g) => [g.key, g.calls]))).toEqual({
      'claude-haiku-4-5': 2,
      'claude-opus-4-5': 1,
    });
    // [10:00, 11:00): the first task only; [11:00, ∞): the other two
    expect(
      queryUsage(u, { org: 'o1', from: T0 + 10 * HOUR_MS, to: T0 + 11 * HOUR_MS }, undefined).total.calls,
    ).toBe(1);
    expect(queryUsage(u, { org: 'o1', from: T0 + 11 * HOUR_MS }, undefined).total.calls).toBe(2);
    expect(u.totalsOf({ org: 'o1', ws: WS, from: T0, to: T0 + DAY_MS })).toMatchObject({
      calls: 2,
      costMicros: 1400,
    });
    expect(u.totalsOf({ org: 'o1', ws: 'wother' }).calls).toBe(0);
    expect(u.totalsOf({ org: 'o2' }).calls).toBe(0);
  });

  it('counts a record met again once (replay, redelivery)', () => {
    const u = new UsageProjection();
    const id = taskId(9);
    const first = rec(id, 1, T0, [{ type: 'task.accepted', prompt: 'x' }]);
    const second = rec(id, 2, T0 + 1, [call(1, 'claude-haiku-4-5', 700)]);
    const last = rec(
      id,
      3,
      T0 + 2,
      [
        call(2, 'claude-haiku-4-5', 700),
        { type: 'task.completed', result: 'ok', steps: 2, provider: 'anthropic', usage: ZERO },
      ],
      { status: 'done' },
    );
    for (const r of [first, second, second, last, second, last, first]) u.apply(r);
    expect(u.totalsOf({ org: 'o1' })).toMatchObject({ calls: 2, runs: 1, costMicros: 1400 });
    expect(u.rowsOf('o1').reduce((n, r) => n + r.calls, 0)).toBe(2);
    expect(u.incomplete).toBeNull();
  });

  it('tracks the repeated conversation prefix and the spend of failed runs', () => {
    const u = new UsageProjection();
    const id = taskId(5);
    u.apply(rec(id, 1, T0, [{ type: 'task.accepted', prompt: 'x' }]));
    const usage = (i: number) => ({
      inputTokens: i,
      outputTokens: 50,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    u.apply(rec(id, 2, T0, [call(1, 'claude-haiku-4-5', 10, usage(1000))]));
    u.apply(rec(id, 3, T0, [call(2, 'claude-haiku-4-5', 10, usage(1200))]));
    u.apply(rec(id, 4, T0, [{ type: 'task.failed', code: 'X', reason: 'x' }], { status: 'error' }));
    const rows: BucketRow[] = [];
    u.forEachBucket({ org: 'o1' }, (r) => rows.push(r));
    // the second call re-sent the first call's 1000 + 50 tokens
    expect(rows.reduce((n, r) => n + r.repeatedPrefixTokens, 0)).toBe(1050);
    expect(rows.reduce((n, r) => n + r.failedRunCostMicros, 0)).toBe(20);
  });

  it('snapshots v2 and restores the same answers; a v1 snapshot still loads (its calls undated)', async () => {
    const u = new UsageProjection();
    task(u, 1, T0);
    task(u, 2, T0 + DAY_MS, { model: 'claude-opus-4-5' });
    const state = (u as unknown as { buckets: UsageBuckets }).buckets.stored();
    const snap: UsageSnapshotState = {
      v: 2,
      rows: u.rowsOf('o1').map((r) => ({ org: 'o1', ...r })),
      tasks: [],
      incomplete: null,
      buckets: state.hours,
      days: state.days,
      foldedBelow: 0,
      finished: [],
      undated: [],
    };
    const load = async (s: UsageSnapshotState) => {
      const v = new UsageProjection();
      const store = {
        load: () =>
          Promise.resolve({
            state: JSON.parse(JSON.stringify(s)) as UsageSnapshotState,
            head: { covered: {}, savedAt: 0 },
          }),
      };
      const log = { info: () => undefined, warn: () => undefined } as never;
      await (v as unknown as { loadSnapshot: (s: unknown, l: unknown) => Promise<void> }).loadSnapshot(
        store,
        log,
      );
      return v;
    };
    const v2 = await load(snap);
    expect(queryUsage(v2, { org: 'o1' }, 'day')).toEqual(queryUsage(u, { org: 'o1' }, 'day'));
    const v1 = await load({ v: 1, rows: snap.rows, tasks: [], incomplete: null });
    expect(v1.rowsOf('o1').reduce((n, r) => n + r.calls, 0)).toBe(2);
    expect(v1.undatedCalls('o1')).toBe(2);
    expect(v1.totalsOf({ org: 'o1' }).calls).toBe(0);
  });

  it('reads whole days from day buckets and partial days from hours; drops hours after HOURLY_DAYS days', () => {
    const b = new UsageBuckets();
    const dims = { ws: WS, project: null, agent: 'a', provider: 'p', model: 'm' };
    const one = (at: number) => b.add('o1', at, dims, (r) => (r.calls += 1));
    for (let h = 0; h < 48; h++) one(T0 + h * HOUR_MS + 5);
    const sum = (f = {}) => {
      let n = 0;
      let buckets = 0;
      b.forEach({ org: 'o1', ...f }, (r) => {
        n += r.calls;
        buckets += 1;
      });
      return { n, buckets };
    };
    // unbounded and whole days: 2 day buckets
    expect(sum()).toEqual({ n: 48, buckets: 2 });
    expect(sum({ from: T0 + DAY_MS, to: T0 + 2 * DAY_MS })).toEqual({ n: 24, buckets: 1 });
    // 20:00 on day 1 to 02:00 on day 2: hours only
    expect(sum({ from: T0 + 20 * HOUR_MS, to: T0 + 26 * HOUR_MS })).toEqual({ n: 6, buckets: 6 });
    // 20:00 on day 1 to the end of day 2: 4 hours + 1 day
    expect(sum({ from: T0 + 20 * HOUR_MS, to: T0 + 2 * DAY_MS })).toEqual({ n: 28, buckets: 5 });
    // a call HOURLY_DAYS + 3 days later drops the old hours: their days still count them
    one(T0 + (HOURLY_DAYS + 3) * DAY_MS);
    expect(sum()).toEqual({ n: 49, buckets: 3 });
    expect(sum({ from: T0 + 20 * HOUR_MS, to: T0 + 2 * DAY_MS })).toEqual({ n: 24, buckets: 1 });
    // a late call in a day whose hours were dropped joins its day
    one(T0 + 3 * HOUR_MS);
    expect(sum({ from: T0, to: T0 + DAY_MS })).toEqual({ n: 25, buckets: 1 });
  });
});

const row = (o: Partial<BucketRow>): BucketRow => ({
  ...emptyBucketRow({
    ws: WS,
    project: null,
    agent: 'coder',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
  }),
  costMicros: 0,
  priceMicros: 0,
  ...o,
});

describe('cost suggestions', () => {
  it('prompt-cache: repeated prefix tokens not read from cache, priced at input − cache read', () => {
    const rows = [
      row({ calls: 10, inputTokens: 500_000, repeatedPrefixTokens: 400_000, cacheReadTokens: 40_000 }),
    ];
    const [s, ...rest] = promptCacheSuggestions(rows);
    expect(rest).toEqual([]);
    // sonnet-4-5: $3 in, $0.30 cache read → 360 000 tokens × 2.7 µ$ = 972 000 µ$
    expect(s).toMatchObject({ kind: 'prompt-cache', agent: 'coder', estimatedSavingMicros: 972_000 });
    expect(s?.evidence.hitRatePercent).toBe(10);
    // a good hit rate, or too few tokens, suggests nothing
    expect(
      promptCacheSuggestions([row({ repeatedPrefixTokens: 400_000, cacheReadTokens: 300_000 })]),
    ).toEqual([]);
    expect(promptCacheSuggestions([row({ repeatedPrefixTokens: 5_000 })])).toEqual([]);
  });

  it('cheaper-model: a cheaper model of the same agent that succeeded as often', () => {
    const dear = row({
      model: 'claude-opus-4-5',
      runs: 10,
      failed: 1,
      calls: 10,
      inputTokens: 1_000_000,
      outputTokens: 100_000,
    });
    const cheap = row({ model: 'claude-haiku-4-5', runs: 5, failed: 0, calls: 5, inputTokens: 10 });
    const [s, ...rest] = cheaperModelSuggestions([dear, cheap]);
    expect(rest).toEqual([]);
    // opus 4.5: 1M × $5 + 100k × $25 = $7.5; at haiku 4.5: 1M × $1 + 100k × $5 = $1.5 → $6
    expect(s).toMatchObject({
      kind: 'cheaper-model',
      model: 'claude-opus-4-5',
      estimatedSavingMicros: 6_000_000,
    });
    expect(s?.evidence.cheaperModel).toBe('anthropic/claude-haiku-4-5');
    // the cheaper one failing more often is no suggestion
    expect(cheaperModelSuggestions([dear, { ...cheap, failed: 3 }])).toEqual([]);
    // nor another agent's model
    expect(cheaperModelSuggestions([dear, { ...cheap, agent: 'other' }])).toEqual([]);
  });

  it('failed-runs: spend of failed runs per provider, above a failure rate', () => {
    const rows = [
      row({ runs: 6, failed: 2, failedRunCostMicros: 1234 }),
      row({ provider: 'openai', model: 'gpt-5', runs: 20, failed: 1, failedRunCostMicros: 99 }),
    ];
    expect(failedRunSuggestions(rows)).toEqual([
      expect.objectContaining({ kind: 'failed-runs', provider: 'anthropic', estimatedSavingMicros: 1234 }),
    ]);
  });

  it('sorts every suggestion by saving, largest first', () => {
    const all = costSuggestions([
      row({ runs: 6, failed: 2, failedRunCostMicros: 1234 }),
      row({ calls: 10, repeatedPrefixTokens: 400_000 }),
    ]);
    expect(all.map((s) => s.kind)).toEqual(['prompt-cache', 'failed-runs']);
  });
});
