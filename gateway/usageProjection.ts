/**
 * The usage projection: tokens, provider cost and customer price per org / project / agent /
 * provider / model, folded from the journal of agent and coordinator actors (one follower per
 * kind), so `GET /api/usage` reads memory instead of the journal.
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
 *
 * Agent and coordinator actors live in workspaces, whose old journal entries the node purges
 * behind verified backups. So the projection is snapshotted ({@link UsageProjection.snapshot},
 * stored by snapshotStore.ts, scheduled by snapshotSchedule.ts) and a start loads the newest
 * snapshot and follows the journal after the sequences it covers. Turns it finds missing (an
 * actor met past turn 1 with no earlier turn applied, or a turn number skipped) make it
 * {@link UsageProjection.incomplete}: see journalGap.ts.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { ofType, validEvents, type JournalRecord } from '../schemas/index.js';
import { journalGap, logJournalGap, type JournalGap } from './journalGap.js';
import { followJournal, type JournalFollower } from './journalFollower.js';
import type { Coverage, SnapshotStore } from './snapshotStore.js';
import {
  DEFAULT_SNAPSHOT_INTERVAL_MS,
  scheduleSnapshots,
  type SnapshotSchedule,
} from './snapshotSchedule.js';

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
  /** the last turn of this task's actor applied */
  turn: number;
}

/** What a snapshot of the usage projection holds (JSON). */
/**
 * Provider cost and customer price of one UTC day, per project, provider and model (by the `at`
 * of the command whose turn recorded the call): what the console's "today" and "this period"
 * read. Days older than {@link USAGE_DAYS_KEPT} before the newest are dropped.
 */
export interface UsageDayRow {
  /** `YYYY-MM-DD` (UTC) */
  readonly day: string;
  readonly project: string | null;
  readonly provider: string;
  readonly model: string;
  calls: number;
  costMicros: number;
  priceMicros: number;
}

/** How many days of {@link UsageDayRow}s are kept (a billing month and the one before). */
export const USAGE_DAYS_KEPT = 62;

export const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

export interface UsageSnapshotState {
  readonly v: 1;
  readonly rows: (UsageRow & { org: string })[];
  /** absent in snapshots older than the per-day rows */
  readonly days?: (UsageDayRow & { org: string })[];
  readonly tasks: [string, TaskInfo][];
  readonly incomplete: JournalGap | null;
}

export const USAGE_SNAPSHOT = 'usage';
const USAGE_KINDS = ['agent', 'coordinator'] as const;
const USAGE_EVENTS = ['usage.recorded', 'agent.replied', 'task.completed', 'task.failed'];

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

export interface UsageStartOptions {
  /** actor kinds followed (default agent, coordinator) */
  kinds?: readonly string[];
  /** where snapshots are loaded from and written to (none: fold the journal from the start) */
  snapshots?: SnapshotStore;
  /** how often a snapshot is written (see snapshotSchedule.ts) */
  snapshotEveryMs?: number;
}

/** A pure fold over agent/coordinator records (exported for tests), plus the followers that feed it. */
export class UsageProjection {
  /** org → row key → row */
  private readonly rows = new Map<string, Map<string, UsageRow>>();
  /** tasks still running: what their later records are attributed to */
  private readonly tasks = new Map<string, TaskInfo>();
  /** org → `day|project|provider|model` → that day's cost */
  private readonly days = new Map<string, Map<string, UsageDayRow>>();
  private newestDay = '';
  private followers: JournalFollower[] = [];
  /** records with a sequence above this are live (journaled after the gateway started) */
  private liveAfter = Number.POSITIVE_INFINITY;
  /** per follower filter: the MOE_EVT sequence of the last entry whose turns are all applied */
  private readonly covered: Record<string, number> = {};
  /** followers inside a multi-turn entry: no snapshot until they reach its end */
  private readonly midEntry = new Set<string>();
  private gap: JournalGap | null = null;
  private schedule: SnapshotSchedule | null = null;
  private log: FastifyBaseLogger | null = null;
  /** the coverage of the snapshot this projection started from (null: it folded from the start) */
  private loadedFrom: Coverage | null = null;

  constructor(
    private readonly onLiveRecord: (rec: JournalRecord, calls: UsageCall[]) => void = () => undefined,
  ) {}

  get ready(): boolean {
    return this.followers.length > 0 && this.followers.every((f) => f.caughtUp);
  }

  /** The first missing turn found (null: none; every turn the totals need was applied). */
  get incomplete(): JournalGap | null {
    return this.gap;
  }

  /** The coverage of the snapshot loaded at start (null: none, the journal was read from the start). */
  get snapshotCoverage(): Coverage | null {
    return this.loadedFrom;
  }

  /**
   * Loads the newest snapshot (if a store is given), starts one follower per kind after the
   * sequence it covers, and resolves once the history present at start is folded.
   */
  async start(
    js: JetStreamClient,
    log: FastifyBaseLogger,
    liveAfterSeq: number,
    opts: UsageStartOptions = {},
  ): Promise<void> {
    this.log = log;
    this.liveAfter = liveAfterSeq;
    const kinds = opts.kinds ?? USAGE_KINDS;
    if (opts.snapshots) await this.loadSnapshot(opts.snapshots, log);
    this.followers = kinds.map((k) => {
      const filter = usageFilter(k);
      return followJournal(
        js,
        filter,
        (seq, rec, endsEntry) => this.applyFollowed(filter, seq, rec, endsEntry),
        log,
        this.covered[filter] ?? 0,
      );
    });
    await Promise.all(this.followers.map((f) => f.started()));
    if (opts.snapshots)
      this.schedule = scheduleSnapshots(
        opts.snapshots,
        USAGE_SNAPSHOT,
        () => this.snapshot(),
        opts.snapshotEveryMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
        log,
        this.loadedFrom ?? {},
      );
  }

  /** Stops following and writes a last snapshot. */
  async stop(): Promise<void> {
    await Promise.all(this.followers.map((f) => f.stop()));
    await this.schedule?.stop();
  }

  /** Writes a snapshot now (when the projection moved on since the last one). */
  async flushSnapshot(): Promise<void> {
    await this.schedule?.flush();
  }

  /**
   * The state and the sequences it covers, or null when it is not at a consistent point (still
   * catching up, or a follower has applied part of a multi-turn entry).
   */
  snapshot(): { covered: Coverage; state: UsageSnapshotState } | null {
    if (!this.ready || this.midEntry.size > 0) return null;
    const rows = [...this.rows].flatMap(([org, byKey]) => [...byKey.values()].map((r) => ({ org, ...r })));
    const days = [...this.days].flatMap(([org, byKey]) => [...byKey.values()].map((r) => ({ org, ...r })));
    return {
      covered: { ...this.covered },
      state: {
        v: 1,
        rows,
        days,
        tasks: [...this.tasks].map(([id, t]) => [id, { ...t }]),
        incomplete: this.gap,
      },
    };
  }

  private async loadSnapshot(store: SnapshotStore, log: FastifyBaseLogger): Promise<void> {
    let loaded;
    try {
      loaded = await store.load<UsageSnapshotState>(USAGE_SNAPSHOT);
    } catch (err) {
      log.warn({ err }, 'usage snapshot unreadable; folding the journal from the start');
      return;
    }
    if (!loaded || loaded.state.v !== 1) return;
    for (const { org, ...row } of loaded.state.rows) {
      let byKey = this.rows.get(org);
      if (!byKey) this.rows.set(org, (byKey = new Map<string, UsageRow>()));
      byKey.set(`${row.project}|${row.agent}|${row.provider}|${row.model}`, row);
    }
    for (const { org, ...day } of loaded.state.days ?? []) this.dayRow(org, day, day);
    for (const [id, t] of loaded.state.tasks) this.tasks.set(id, t);
    Object.assign(this.covered, loaded.head.covered);
    this.loadedFrom = loaded.head.covered;
    this.gap = loaded.state.incomplete;
    log.info(
      { covered: loaded.head.covered, savedAt: loaded.head.savedAt },
      'usage projection starts from its snapshot',
    );
  }

  private applyFollowed(filter: string, seq: number, rec: JournalRecord, endsEntry: boolean): void {
    if (endsEntry) this.midEntry.delete(filter);
    else this.midEntry.add(filter);
    try {
      this.apply(rec, seq);
    } finally {
      if (endsEntry) this.covered[filter] = seq;
    }
  }

  apply(rec: JournalRecord, seq = 0): void {
    const id = rec.actor.id;
    let task = this.tasks.get(id);
    this.checkContinuity(task, rec, seq);
    if (!task) {
      const accepted = validEvents(rec.events).find(ofType('message.accepted'));
      const profile = rec.cmd.type === 'task.submit' ? rec.cmd.data?.profile : accepted?.profile;
      task = {
        project: LOOSE_TASK_RE.exec(id)?.[1] ?? null,
        agent: typeof profile === 'string' ? profile : 'default',
        provider: 'none',
        model: 'none',
        turn: rec.turn,
      };
      this.tasks.set(id, task);
    }
    task.turn = rec.turn;
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
      const day = this.dayRow(rec.actor.org, {
        day: utcDay(rec.cmd.at),
        project: task.project,
        provider: c.provider,
        model: c.model,
      });
      day.calls += 1;
      day.costMicros += c.costMicros ?? 0;
      day.priceMicros += c.priceMicros ?? 0;
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

  /**
   * A turn the totals need is missing when a running task's turn number skips, or when a task
   * never seen before is met past its first turn while it still runs or its turn counts usage (an
   * actor that finished earlier may take late turns — a refused command — which count nothing).
   */
  private checkContinuity(task: TaskInfo | undefined, rec: JournalRecord, seq: number): void {
    if (this.gap || rec.turn <= 1) return;
    let missing: boolean;
    if (task) missing = rec.turn > task.turn + 1;
    // a finished agent (forgotten at `done`) taking a follow-up message: a new conversation turn
    else if (validEvents(rec.events).some(ofType('message.accepted'))) missing = false;
    else
      missing = rec.status === 'active' || validEvents(rec.events).some((e) => USAGE_EVENTS.includes(e.type));
    if (!missing) return;
    this.gap = journalGap('usage', seq, rec, task ? task.turn : null);
    if (this.log) logJournalGap(this.log, 'usage', this.gap);
  }

  /** The rows of one org (callers filter by what the principal may see). */
  rowsOf(org: string): UsageRow[] {
    return [...(this.rows.get(org)?.values() ?? [])];
  }

  /** The per-day rows of one org (callers filter by what the principal may see). */
  daysOf(org: string): UsageDayRow[] {
    return [...(this.days.get(org)?.values() ?? [])];
  }

  private dayRow(
    org: string,
    k: Pick<UsageDayRow, 'day' | 'project' | 'provider' | 'model'>,
    totals?: Pick<UsageDayRow, 'calls' | 'costMicros' | 'priceMicros'>,
  ): UsageDayRow {
    let byKey = this.days.get(org);
    if (!byKey) this.days.set(org, (byKey = new Map<string, UsageDayRow>()));
    const key = `${k.day}|${k.project}|${k.provider}|${k.model}`;
    let row = byKey.get(key);
    if (!row) {
      byKey.set(
        key,
        (row = {
          day: k.day,
          project: k.project,
          provider: k.provider,
          model: k.model,
          calls: totals?.calls ?? 0,
          costMicros: totals?.costMicros ?? 0,
          priceMicros: totals?.priceMicros ?? 0,
        }),
      );
      if (k.day > this.newestDay) {
        this.newestDay = k.day;
        this.pruneDays();
      }
    }
    return row;
  }

  private pruneDays(): void {
    const oldest = utcDay(Date.parse(`${this.newestDay}T00:00:00Z`) - (USAGE_DAYS_KEPT - 1) * 86_400_000);
    for (const byKey of this.days.values())
      for (const [key, row] of byKey) if (row.day < oldest) byKey.delete(key);
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

/** The journal filter of one actor kind's followers. */
export function usageFilter(kind: string): string {
  return `moe.evt.*.*.${kind}.*`;
}
