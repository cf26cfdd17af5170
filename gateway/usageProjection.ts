/**
 * The usage projection: tokens, provider cost and customer price per org / project / agent /
 * provider / model, folded from the journal of agent and coordinator actors (one follower per
 * kind) and rebuilt at every start, so `GET /api/usage` reads memory instead of the journal.
 *
 * Counted per provider call: each `usage.recorded` event (`{provider, model, usage, costMicros,
 * priceMicros}`). Records journaled before that event existed fall back to their `agent.replied`
 * event (same fields; cost and price may be missing — such calls make `unpricedCalls`, and a row
 * whose calls all lack them reports `costMicros`/`priceMicros` as null). Runs and failures come
 * from `task.completed` / `task.failed`. Money is integer micro-dollars (µ$), never floats.
 *
 * A task's project comes from its id (`<ws>-<project>-t…`, as the gateway and `moe task --project`
 * make them); a task sent over NATS outside any project (`moe task` without `--project`, or any
 * other id) is counted under `project: null`.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { ofType, validEvents, type JournalRecord } from '../schemas/index.js';
import { followJournal, type JournalFollower } from './journalFollower.js';

export interface UsageTotals {
  calls: number;
  runs: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** provider cost, µ$; null when no call counted here carried a cost */
  costMicros: number | null;
  /** customer price (cost × markup), µ$; null when no call counted here carried a price */
  priceMicros: number | null;
  /** calls whose records carry no cost/price (journaled before pricing existed) */
  unpricedCalls: number;
}

export interface UsageRow extends UsageTotals {
  /** null: a task outside any project (sent over NATS without one) */
  project: string | null;
  agent: string;
  provider: string;
  model: string;
}

/** What a live (not replayed) record contributes, for metrics. */
export interface UsageCall {
  provider: string;
  model: string;
  usage: Record<string, number>;
  costMicros: number | null;
  priceMicros: number | null;
}

interface TaskInfo {
  project: string | null;
  agent: string;
  provider: string;
  model: string;
}

const LOOSE_TASK_RE = /^w[0-9a-f]{16}-(p[0-9a-f]{16})-/;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const addNullable = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);

export function emptyTotals(): UsageTotals {
  return {
    calls: 0,
    runs: 0,
    failed: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costMicros: null,
    priceMicros: null,
    unpricedCalls: 0,
  };
}

export function addTotals(into: UsageTotals, t: UsageTotals): UsageTotals {
  into.calls += t.calls;
  into.runs += t.runs;
  into.failed += t.failed;
  into.inputTokens += t.inputTokens;
  into.outputTokens += t.outputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  into.costMicros = addNullable(into.costMicros, t.costMicros);
  into.priceMicros = addNullable(into.priceMicros, t.priceMicros);
  into.unpricedCalls += t.unpricedCalls;
  return into;
}

/**
 * The calls a record reports: its `usage.recorded` events, else (older records) `agent.replied`.
 * Events that do not decode are left out (the fold goes on past them).
 */
export function callsOf(rec: JournalRecord): UsageCall[] {
  const events = validEvents(rec.events);
  const recorded = events.filter(ofType('usage.recorded'));
  const source = recorded.length > 0 ? recorded : events.filter(ofType('agent.replied'));
  return source.map((e) => ({
    provider: e.provider,
    model: e.model,
    usage: e.usage,
    costMicros: e.costMicros ?? null,
    priceMicros: e.priceMicros ?? null,
  }));
}

/** A pure fold over agent/coordinator records (exported for tests), plus the follower that feeds it. */
export class UsageProjection {
  /** org → row key → row */
  private readonly rows = new Map<string, Map<string, UsageRow>>();
  /** tasks still running: what their later records are attributed to */
  private readonly tasks = new Map<string, TaskInfo>();
  private followers: JournalFollower[] = [];
  /** records with a sequence above this are live (journaled after the gateway started) */
  private liveAfter = Number.POSITIVE_INFINITY;

  constructor(
    private readonly onLiveRecord: (rec: JournalRecord, calls: UsageCall[]) => void = () => undefined,
  ) {}

  get ready(): boolean {
    return this.followers.every((f) => f.caughtUp);
  }

  /** Starts one follower per kind; resolves once the history present at start is folded. */
  async start(
    js: JetStreamClient,
    log: FastifyBaseLogger,
    liveAfterSeq: number,
    kinds: readonly string[] = ['agent', 'coordinator'],
  ): Promise<void> {
    this.liveAfter = liveAfterSeq;
    this.followers = kinds.map((k) =>
      followJournal(js, `moe.evt.*.*.${k}.*`, (seq, rec) => this.apply(rec, seq), log),
    );
    await Promise.all(this.followers.map((f) => f.started()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.followers.map((f) => f.stop()));
  }

  apply(rec: JournalRecord, seq = 0): void {
    const id = rec.actor.id;
    let task = this.tasks.get(id);
    if (!task) {
      const profile = rec.cmd.type === 'task.submit' ? rec.cmd.data?.profile : undefined;
      task = {
        project: LOOSE_TASK_RE.exec(id)?.[1] ?? null,
        agent: typeof profile === 'string' ? profile : 'default',
        provider: 'none',
        model: 'none',
      };
      this.tasks.set(id, task);
    }
    const calls = callsOf(rec);
    for (const c of calls) {
      task.provider = c.provider;
      task.model = c.model;
      const row = this.row(rec.actor.org, task, c.provider, c.model);
      row.calls += 1;
      row.inputTokens += num(c.usage.inputTokens);
      row.outputTokens += num(c.usage.outputTokens);
      row.cacheReadTokens += num(c.usage.cacheReadTokens);
      row.cacheWriteTokens += num(c.usage.cacheWriteTokens);
      row.costMicros = addNullable(row.costMicros, c.costMicros);
      row.priceMicros = addNullable(row.priceMicros, c.priceMicros);
      if (c.costMicros === null || c.priceMicros === null) row.unpricedCalls += 1;
    }
    for (const e of validEvents(rec.events).filter(ofType('task.completed', 'task.failed'))) {
      const provider = e.type === 'task.completed' ? e.provider : task.provider;
      const row = this.row(
        rec.actor.org,
        task,
        provider,
        provider === task.provider ? task.model : 'unknown',
      );
      row.runs += 1;
      if (e.type === 'task.failed') row.failed += 1;
    }
    if (rec.status !== 'active') this.tasks.delete(id);
    if (seq > this.liveAfter) this.onLiveRecord(rec, calls);
  }

  /** The rows of one org (callers filter by what the principal may see). */
  rowsOf(org: string): UsageRow[] {
    return [...(this.rows.get(org)?.values() ?? [])];
  }

  private row(org: string, task: TaskInfo, provider: string, model: string): UsageRow {
    let byKey = this.rows.get(org);
    if (!byKey) this.rows.set(org, (byKey = new Map<string, UsageRow>()));
    const key = `${task.project}|${task.agent}|${provider}|${model}`;
    let row = byKey.get(key);
    if (!row)
      byKey.set(key, (row = { project: task.project, agent: task.agent, provider, model, ...emptyTotals() }));
    return row;
  }
}
