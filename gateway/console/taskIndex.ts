/**
 * The console's task list and a task's timeline, read from the journal: the agent actors of a
 * workspace are the subjects `moe.evt.<org>.<ws>.agent.*` of MOE_EVT (one stream-info call lists
 * them with their entry counts). A task's row is rebuilt only when its entry count changed (a
 * cache keyed by subject and count), so a live view costs one stream-info call per workspace and
 * a journal read per task that moved. Cost per task sums its `usage.recorded` events (µ$).
 */
import { eventSubject, findEvent, STREAMS, type ActorAddress } from '../../schemas/index.js';
import type { Bus, SeqRecord } from '../bus.js';
import { parseTaskId } from '../crypto.js';
import { isAwaitingApproval } from '../routes/tasks.js';
import { callsOf } from '../usageProjection.js';

export type TaskPhase = 'running' | 'waiting' | 'done' | 'failed';

export interface TaskRow {
  readonly id: string;
  /** `agent`, or `coordinator` (a mixture-of-experts task) */
  readonly kind: string;
  /** what people call it: the start of its prompt */
  readonly title: string;
  readonly org: string;
  readonly ws: string;
  readonly project: string | null;
  readonly state: string;
  readonly phase: TaskPhase;
  readonly turns: number;
  /** MOE_EVT sequence of its latest entry: newer tasks and moves sort higher */
  readonly seq: number;
  readonly calls: number;
  readonly tokens: number;
  /** provider cost, µ$ (null: no priced call yet) */
  readonly costMicros: number | null;
}

export interface TimelineTurn {
  readonly turn: number;
  readonly seq: number;
  readonly command: string;
  readonly state: string;
  readonly events: readonly string[];
  readonly effects: readonly string[];
  readonly llm: readonly { provider: string; model: string; tokens: number; costMicros: number | null }[];
}

export interface TaskDetail extends TaskRow {
  readonly result: string | null;
  readonly failure: { code: string; reason: string } | null;
  readonly approval: { callIds: string[]; tools: string[] } | null;
  readonly timeline: readonly TimelineTurn[];
}

/** How many tasks a workspace lists at most (the newest). */
export const TASKS_PER_WORKSPACE = 100;

/** How much of a prompt names a task. */
export const TITLE_CHARS = 60;

function titleOf(first: SeqRecord | undefined): string {
  const prompt = (first?.rec.cmd.data as { prompt?: unknown } | undefined)?.prompt;
  if (typeof prompt !== 'string') return '';
  const line = prompt.replace(/\s+/g, ' ').trim();
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}

export function phaseOf(r: SeqRecord): TaskPhase {
  if (r.rec.status === 'error') return 'failed';
  if (r.rec.status === 'done') return findEvent(r.rec.events, 'task.failed') ? 'failed' : 'done';
  return isAwaitingApproval(r.rec.state) ? 'waiting' : 'running';
}

function tokensOf(usage: Record<string, number>): number {
  return Object.values(usage).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
}

export function detailOf(id: string, addr: ActorAddress, records: readonly SeqRecord[]): TaskDetail | null {
  const last = records[records.length - 1];
  if (!last) return null;
  let calls = 0;
  let tokens = 0;
  let cost: number | null = null;
  const timeline: TimelineTurn[] = records.map((r) => {
    const llm = callsOf(r.rec).map((c) => ({
      provider: c.provider,
      model: c.model,
      tokens: tokensOf(c.usage),
      costMicros: c.costMicros,
    }));
    for (const c of llm) {
      calls++;
      tokens += c.tokens;
      if (c.costMicros !== null) cost = (cost ?? 0) + c.costMicros;
    }
    return {
      turn: r.rec.turn,
      seq: r.seq,
      command: r.rec.cmd.type,
      state: r.rec.state,
      events: r.rec.events.map((e) => e.type),
      effects: r.rec.effects.map((e) => e.kind),
      llm,
    };
  });
  const all = records.flatMap((r) => r.rec.events);
  const completed = findEvent(all, 'task.completed');
  const failed = findEvent(all, 'task.failed');
  const requested = [...all].reverse().find((e) => e.type === 'approval.requested') as
    { callIds?: string[]; tools?: string[] } | undefined;
  return {
    id,
    kind: addr.kind,
    title: titleOf(records[0]),
    org: addr.org,
    ws: addr.ws,
    project: parseTaskId(id)?.project ?? null,
    state: last.rec.state,
    phase: phaseOf(last),
    turns: last.rec.turn,
    seq: last.seq,
    calls,
    tokens,
    costMicros: cost,
    result: completed ? String(completed.result) : null,
    failure: failed ? { code: failed.code, reason: failed.reason } : null,
    approval:
      isAwaitingApproval(last.rec.state) && requested
        ? { callIds: requested.callIds ?? [], tools: requested.tools ?? [] }
        : null,
    timeline,
  };
}

export class TaskIndex {
  /** subject → [entry count when read, row] */
  private readonly rows = new Map<string, [number, TaskRow]>();

  constructor(private readonly bus: Bus) {}

  /** The tasks of one workspace (agents, or coordinators), newest first. */
  async list(org: string, ws: string, kind: 'agent' | 'coordinator' = 'agent'): Promise<TaskRow[]> {
    const filter = eventSubject({ org, ws, kind, id: '*' });
    const info = await this.bus.jsm.streams.info(STREAMS.events, { subjects_filter: filter });
    const subjects = Object.entries(info.state.subjects ?? {});
    const out: TaskRow[] = [];
    for (const [subject, count] of subjects) {
      const seen = this.rows.get(subject);
      if (seen && seen[0] === count) {
        out.push(seen[1]);
        continue;
      }
      const id = subject.split('.').pop() ?? '';
      const addr = { org, ws, kind, id };
      const d = detailOf(id, addr, await this.bus.records(addr));
      if (!d) continue;
      const { result: _r, failure: _f, approval: _a, timeline: _t, ...row } = d;
      this.rows.set(subject, [count, row]);
      out.push(row);
    }
    return out.sort((a, b) => b.seq - a.seq).slice(0, TASKS_PER_WORKSPACE);
  }

  async detail(addr: ActorAddress): Promise<TaskDetail | null> {
    return detailOf(addr.id, addr, await this.bus.records(addr));
  }
}
