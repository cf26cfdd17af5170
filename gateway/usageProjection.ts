/**
 * The usage projection: tokens, provider cost and customer price per org / project / agent /
 * provider / model, folded from the journal of agent and coordinator actors (one follower per
 * kind), so `GET /api/usage` reads memory instead of the journal. The same calls, runs and
 * failures are also kept per workspace in hour and day buckets (usageBuckets.ts) for usage
 * analytics over a range (usageQuery.ts, {@link UsageProjection.totalsOf}) and cost suggestions.
 *
 * Counted once: a record whose turn is at or below the last turn applied for its actor (kept for
 * running actors and the last {@link FINISHED_KEPT} finished ones) is skipped, so a record met
 * again (a replay, a redelivery) adds nothing; the followers resume after the sequences the
 * snapshot covers.
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
import { ofType, validEvents, type CallAttempts, type JournalRecord } from '../schemas/index.js';
import { journalGap, logJournalGap, type JournalGap } from './journalGap.js';
import { followJournal, type JournalFollower } from './journalFollower.js';
import type { Coverage, SnapshotStore } from './snapshotStore.js';
import { DAY_MS, UsageBuckets, type BucketFilter, type StoredBucketRow } from './usageBuckets.js';
import { addNullable, addTotals, emptyTotals, type UsageTotals } from './usageTotals.js';
import {
  DEFAULT_SNAPSHOT_INTERVAL_MS,
  scheduleSnapshots,
  type SnapshotSchedule,
} from './snapshotSchedule.js';

export { addTotals, emptyTotals, marginOf, type UsageTotals } from './usageTotals.js';

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
  /** the call's failed attempts per target (usage.recorded `attempts`; absent: none or older) */
  attempts?: CallAttempts[];
}

/** What the live hook learns of the run a record belongs to. */
export interface LiveRun {
  /** the agent profile the task runs (the project agent's name), `default` when none */
  readonly agent: string;
  /** the provider of its last call (`none` before any) */
  readonly provider: string;
}

interface TaskInfo {
  project: string | null;
  agent: string;
  provider: string;
  model: string;
  /** the last turn of this task's actor applied */
  turn: number;
  /** provider cost of this task's calls so far, µ$ (absent in v1 snapshots: 0) */
  costMicros?: number;
  /** prompt + reply tokens of this task's previous call: the prefix its next call re-sends */
  context?: number;
}

/** Finished actors kept (id → last turn) so a record met again is not counted twice. */
export const FINISHED_KEPT = 10_000;

/**
 * Provider cost and customer price of one UTC day, per project, provider and model (by the `at`
 * of the command whose turn recorded the call): what the console's "today" and "this period"
 * read ({@link UsageProjection.daysOf}, from the day and hour buckets).
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

/** How many days {@link UsageProjection.daysOf} reaches back (a billing month and the one before). */
export const USAGE_DAYS_KEPT = 62;

export const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/** What a snapshot of the usage projection holds (JSON). */
export interface UsageSnapshotState {
  /** 1: no time buckets (written before usage analytics); still loaded, see loadSnapshot */
  readonly v: 1 | 2;
  readonly rows: (UsageRow & { org: string })[];
  readonly tasks: [string, TaskInfo][];
  readonly incomplete: JournalGap | null;
  /** v2: the hour buckets (usageBuckets.ts) */
  readonly buckets?: StoredBucketRow[];
  /** v2: the day buckets */
  readonly days?: StoredBucketRow[];
  /** v2: hour buckets below this start were dropped (the days hold them) */
  readonly foldedBelow?: number;
  /** v2: finished actors' last turns, oldest first */
  readonly finished?: [string, number][];
  /** v2: per org, calls counted from a v1 snapshot, which carry no time */
  readonly undated?: [string, number][];
}

export const USAGE_SNAPSHOT = 'usage';
const USAGE_KINDS = ['agent', 'coordinator'] as const;
const USAGE_EVENTS = ['usage.recorded', 'agent.replied', 'task.completed', 'task.failed'];

const LOOSE_TASK_RE = /^w[0-9a-f]{16}-(p[0-9a-f]{16})-/;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

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
    ...(e.type === 'usage.recorded' && e.attempts?.length ? { attempts: e.attempts } : {}),
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
  /** the same calls, runs and failures per hour or day (usageBuckets.ts) */
  private readonly buckets = new UsageBuckets();
  /** finished actors → their last turn applied (insertion order: oldest first, bounded) */
  private readonly finished = new Map<string, number>();
  /** per org: calls loaded from a v1 snapshot, counted in all-time rows but in no bucket */
  private readonly undated = new Map<string, number>();
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
    private readonly onLiveRecord: (rec: JournalRecord, calls: UsageCall[], run: LiveRun) => void = () =>
      undefined,
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
    return {
      covered: { ...this.covered },
      state: {
        v: 2,
        rows,
        tasks: [...this.tasks].map(([id, t]) => [id, { ...t }]),
        incomplete: this.gap,
        ...(({ hours, days }) => ({ buckets: hours, days }))(this.buckets.stored()),
        foldedBelow: this.buckets.folded,
        finished: [...this.finished],
        undated: [...this.undated],
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
    if (!loaded || (loaded.state.v !== 1 && loaded.state.v !== 2)) return;
    const state = loaded.state;
    for (const { org, ...row } of state.rows) {
      let byKey = this.rows.get(org);
      if (!byKey) this.rows.set(org, (byKey = new Map<string, UsageRow>()));
      byKey.set(`${row.project}|${row.agent}|${row.provider}|${row.model}`, row);
      // a v1 snapshot has no times: its calls count in all-time answers only
      if (state.v === 1) this.undated.set(org, (this.undated.get(org) ?? 0) + row.calls);
    }
    for (const [id, t] of state.tasks) this.tasks.set(id, t);
    if (state.v === 2) {
      this.buckets.load({ hours: state.buckets ?? [], days: state.days ?? [] }, state.foldedBelow ?? 0);
      for (const [id, turn] of state.finished ?? []) this.finished.set(id, turn);
      for (const [org, n] of state.undated ?? []) this.undated.set(org, n);
    }
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
    // a turn already applied (met again): counted once, whatever re-delivers it
    const applied = task?.turn ?? this.finished.get(id);
    if (applied !== undefined && rec.turn <= applied) return;
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
      this.finished.delete(id);
    }
    task.turn = rec.turn;
    const org = rec.actor.org;
    const at = rec.cmd.at;
    const calls = callsOf(rec);
    for (const c of calls) {
      task.provider = c.provider;
      task.model = c.model;
      const prompt = num(c.usage.inputTokens) + num(c.usage.cacheReadTokens) + num(c.usage.cacheWriteTokens);
      const repeated = Math.min(prompt, task.context ?? 0);
      task.context = prompt + num(c.usage.outputTokens);
      task.costMicros = (task.costMicros ?? 0) + (c.costMicros ?? 0);
      addCall(this.row(org, task, c.provider, c.model), c);
      this.buckets.add(org, at, this.dims(rec, task, c.provider, c.model), (b) => {
        addCall(b, c);
        b.repeatedPrefixTokens += repeated;
      });
      // failed attempts (retries, 429s, fallbacks), on the provider/model that failed
      for (const a of c.attempts ?? []) {
        const failed = num(a.rateLimited) + num(a.otherFailures);
        if (failed === 0) continue;
        this.buckets.add(org, at, this.dims(rec, task, a.provider, a.model), (b) => {
          b.retriedCalls += 1;
          b.failedAttempts += failed;
          b.rateLimitedAttempts += num(a.rateLimited);
          b.retryWaitMs += num(a.waitMs);
          b.failedAttemptCostMicros += num(a.failedCostMicros);
        });
      }
    }
    for (const e of validEvents(rec.events).filter(ofType('task.completed', 'task.failed'))) {
      const provider = e.type === 'task.completed' ? e.provider : task.provider;
      const model = provider === task.provider ? task.model : 'unknown';
      const row = this.row(org, task, provider, model);
      const failed = e.type === 'task.failed';
      row.runs += 1;
      if (failed) row.failed += 1;
      const wasted = task.costMicros ?? 0;
      this.buckets.add(org, at, this.dims(rec, task, provider, model), (b) => {
        b.runs += 1;
        if (!failed) return;
        b.failed += 1;
        b.failedRunCostMicros += wasted;
      });
    }
    if (rec.status !== 'active') {
      this.tasks.delete(id);
      this.finished.set(id, rec.turn);
      if (this.finished.size > FINISHED_KEPT)
        this.finished.delete(this.finished.keys().next().value as string);
    }
    if (seq > this.liveAfter) this.onLiveRecord(rec, calls, { agent: task.agent, provider: task.provider });
  }

  private dims(rec: JournalRecord, task: TaskInfo, provider: string, model: string) {
    return { ws: rec.actor.ws, project: task.project, agent: task.agent, provider, model };
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

  /**
   * Visits the time-bucketed rows of an org (one workspace with `ws`) whose hour or day starts in
   * [from, to): see usageBuckets.ts for the resolution. Callers filter by what the principal may see.
   */
  forEachBucket(f: BucketFilter, visit: Parameters<UsageBuckets['forEach']>[1]): void {
    this.buckets.forEach(f, visit);
  }

  /**
   * The totals of an org, or one workspace, over [from, to) (epoch ms; absent: unbounded) — for
   * the billing route's "current period so far". Every row counts (no principal filter).
   */
  totalsOf(f: BucketFilter): UsageTotals {
    const t = emptyTotals();
    this.buckets.forEach(f, (r) => addTotals(t, r));
    return t;
  }

  /** Calls of `org` loaded from a v1 snapshot (no time known): in all-time rows, in no bucket. */
  undatedCalls(org: string): number {
    return this.undated.get(org) ?? 0;
  }

  /** The rows of one org (callers filter by what the principal may see). */
  rowsOf(org: string): UsageRow[] {
    return [...(this.rows.get(org)?.values() ?? [])];
  }

  /** The per-day rows of one org over the last {@link USAGE_DAYS_KEPT} days (callers filter by what the principal may see). */
  daysOf(org: string, now = Date.now()): UsageDayRow[] {
    const byKey = new Map<string, UsageDayRow>();
    const from = Math.floor(now / DAY_MS) * DAY_MS - (USAGE_DAYS_KEPT - 1) * DAY_MS;
    this.buckets.forEach({ org, from }, (r, start) => {
      const day = utcDay(start);
      const key = `${day}|${r.project}|${r.provider}|${r.model}`;
      let row = byKey.get(key);
      if (!row) {
        row = {
          day,
          project: r.project,
          provider: r.provider,
          model: r.model,
          calls: 0,
          costMicros: 0,
          priceMicros: 0,
        };
        byKey.set(key, row);
      }
      row.calls += r.calls;
      row.costMicros += r.costMicros ?? 0;
      row.priceMicros += r.priceMicros ?? 0;
    });
    return [...byKey.values()];
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

function addCall(row: UsageTotals, c: UsageCall): void {
  row.calls += 1;
  row.inputTokens += num(c.usage.inputTokens);
  row.outputTokens += num(c.usage.outputTokens);
  row.cacheReadTokens += num(c.usage.cacheReadTokens);
  row.cacheWriteTokens += num(c.usage.cacheWriteTokens);
  row.costMicros = addNullable(row.costMicros, c.costMicros);
  row.priceMicros = addNullable(row.priceMicros, c.priceMicros);
  if (c.costMicros === null || c.priceMicros === null) row.unpricedCalls += 1;
}

/** The journal filter of one actor kind's followers. */
export function usageFilter(kind: string): string {
  return `moe.evt.*.*.${kind}.*`;
}
