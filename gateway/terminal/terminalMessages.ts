/**
 * The card terminal's protocol (seed 002, "Log Streaming Protocol"): `log | status | metrics |
 * error` messages, and how each journal turn of the card and of the actors its runs name becomes
 * some of them. Pure: the same turn always yields the same messages in the same order, which is what
 * lets a cursor count messages inside an entry (terminalCursor.ts).
 *
 * Sources: the card's own turns are `orchestrator` (the lane workflow), an agent's turns `agent`,
 * what the provider reports (usage, live token deltas) `provider`. Levels: `debug` for turns with no
 * event, `warn` for rejected commands, tool errors and approvals awaited, `error` for failures.
 */
import {
  decodeKnownEvent,
  type DomainEvent,
  type JournalRecord,
  type KnownEvent,
} from '../../schemas/index.js';
import type { DeltaEvent } from '../liveDeltas.js';
import type { RunIndex, RunRef } from './runIndex.js';

export const TERMINAL_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const TERMINAL_SOURCES = ['orchestrator', 'provider', 'agent'] as const;
export type TerminalLevel = (typeof TERMINAL_LEVELS)[number];
export type TerminalSource = (typeof TERMINAL_SOURCES)[number];

export interface LogEntry {
  runId: string | null;
  /** ISO 8601: when the command of the turn was stored (a delta: when the gateway received it) */
  timestamp: string;
  level: TerminalLevel;
  message: string;
  metadata?: Record<string, unknown>;
  source: TerminalSource;
}

export interface RunStatus {
  runId: string;
  status: string;
  agent?: string | null;
  lane?: string | null;
  step?: number | null;
  actor?: { kind: string; id: string };
}

export interface RunMetrics {
  runId: string | null;
  agent?: string | null;
  step?: number;
  provider?: string;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  costMicros?: number;
  priceMicros?: number;
  durationMs?: number;
}

export type TerminalPayload =
  | { type: 'log'; data: LogEntry }
  | { type: 'status'; data: RunStatus }
  | { type: 'metrics'; data: RunMetrics }
  | { type: 'error'; data: { message: string; code?: string } };

/** A message with the level and source its filters look at. */
export interface Derived {
  readonly payload: TerminalPayload;
  readonly level: TerminalLevel;
  readonly source: TerminalSource;
}

const MAX_TEXT = 4000;
const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
const str = (e: DomainEvent, k: string): string | undefined => {
  const v = e[k];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
};
const num = (e: DomainEvent, k: string): number | undefined => (typeof e[k] === 'number' ? e[k] : undefined);

function log(
  source: TerminalSource,
  level: TerminalLevel,
  runId: string | null,
  at: number,
  message: string,
  metadata?: Record<string, unknown>,
): Derived {
  const data: LogEntry = {
    runId,
    timestamp: new Date(at).toISOString(),
    level,
    message: clip(message),
    source,
    ...(metadata ? { metadata } : {}),
  };
  return { payload: { type: 'log', data }, level, source };
}

/** Messages of one of the card's turns (lane workflow: card lifecycle and run steps). */
function cardMessages(rec: JournalRecord): Derived[] {
  const at = rec.cmd.at;
  const out: Derived[] = [];
  const o = (
    level: TerminalLevel,
    msg: string,
    runId: string | null = null,
    meta?: Record<string, unknown>,
  ) => out.push(log('orchestrator', level, runId, at, msg, meta));
  for (const e of rec.events) {
    const runId = str(e, 'runId') ?? null;
    switch (e.type) {
      case 'card.created':
        o('info', `card created in lane ${str(e, 'lane') ?? '?'}: ${str(e, 'title') ?? ''}`.trim(), null, e);
        break;
      case 'card.moved':
        o('info', `card moved from ${str(e, 'from') ?? '?'} to ${str(e, 'to') ?? '?'}`, null, e);
        break;
      case 'card.updated':
        o('info', 'card updated', null, e);
        break;
      case 'card.deleted':
        o('info', 'card deleted', null, e);
        break;
      case 'run.started':
      case 'run.finished': {
        if (!runId) break;
        const started = e.type === 'run.started';
        const status = started ? 'running' : (str(e, 'status') ?? 'finished');
        const actor = e.actor as RunStatus['actor'];
        const data: RunStatus = {
          runId,
          status,
          agent: str(e, 'agent') ?? null,
          lane: str(e, 'lane') ?? null,
          step: num(e, 'step') ?? null,
          ...(actor && typeof actor === 'object'
            ? { actor: { kind: String(actor.kind), id: String(actor.id) } }
            : {}),
        };
        const level: TerminalLevel = status === 'failed' ? 'error' : 'info';
        out.push({ payload: { type: 'status', data }, level, source: 'orchestrator' });
        const summary = str(e, 'summary');
        o(
          level,
          `step ${data.step ?? '?'} (${data.agent ?? 'agent'}) ${started ? 'started' : status}${summary ? `: ${summary}` : ''}`,
          runId,
        );
        const cost = num(e, 'costMicros');
        if (!started && cost !== undefined)
          out.push({
            payload: { type: 'metrics', data: { runId, agent: data.agent ?? null, costMicros: cost } },
            level: 'info',
            source: 'orchestrator',
          });
        break;
      }
      case 'command.rejected':
        o(
          'warn',
          `${str(e, 'command') ?? 'command'} rejected in ${str(e, 'state') ?? '?'}: ${str(e, 'reason') ?? ''}`,
        );
        break;
      default:
        o(e.type.endsWith('.failed') ? 'error' : 'info', e.type, runId, e);
    }
  }
  return out;
}

/** One decoded event of a followed actor (an agent running a step). */
function agentEvent(e: KnownEvent, run: RunRef, at: number): Derived[] {
  const r = run.runId;
  const a = (level: TerminalLevel, msg: string, meta?: Record<string, unknown>) => [
    log('agent', level, r, at, msg, meta),
  ];
  switch (e.type) {
    case 'task.accepted':
      return a('info', `task accepted: ${e.prompt}`);
    case 'agent.replied':
      return a('info', e.text, { step: e.step, tools: e.tools, provider: e.provider, model: e.model });
    case 'usage.recorded': {
      const data: RunMetrics = {
        runId: r,
        agent: run.agent,
        step: e.step,
        provider: e.provider,
        model: e.model,
        ...e.usage,
        costMicros: e.costMicros,
        priceMicros: e.priceMicros,
        ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
      };
      return [{ payload: { type: 'metrics', data }, level: 'info', source: 'provider' }];
    }
    case 'tool.finished':
      return a(e.isError ? 'warn' : 'info', `tool ${e.name} ${e.isError ? 'reported an error' : 'finished'}`);
    case 'approval.requested':
      return a('warn', `waiting for approval: ${e.tools.join(', ')}`, { callIds: e.callIds });
    case 'approval.decided':
      return a('info', `${e.tool} ${e.approved ? 'approved' : 'denied'}${e.reason ? `: ${e.reason}` : ''}`);
    case 'task.completed':
      return a('info', 'task completed', { usage: e.usage });
    case 'task.failed':
      return a('error', `task failed: ${e.code} ${e.reason}`);
    case 'command.rejected':
      return a('warn', `${e.command} rejected in ${e.state}: ${e.reason}`);
    default:
      return a(e.type.endsWith('.failed') ? 'error' : 'info', e.type);
  }
}

function actorMessages(rec: JournalRecord, run: RunRef): Derived[] {
  const at = rec.cmd.at;
  const out: Derived[] = [];
  for (const raw of rec.events) {
    let e: KnownEvent | undefined;
    try {
      e = decodeKnownEvent(raw);
    } catch {
      e = undefined;
    }
    if (e) out.push(...agentEvent(e, run, at));
    else out.push(log('agent', 'info', run.runId, at, raw.type));
  }
  return out;
}

/**
 * The messages of one turn of the card or of an actor its runs name (none for any other actor).
 * A turn without events is one `debug` line naming its command.
 */
export function messagesOfTurn(rec: JournalRecord, runs: RunIndex): Derived[] {
  const isCard = runs.isCard(rec.actor);
  const run = isCard ? null : runs.runOf(rec.actor);
  if (!isCard && !run) return [];
  if (rec.events.length === 0) {
    const source: TerminalSource = isCard ? 'orchestrator' : 'agent';
    return [log(source, 'debug', run?.runId ?? null, rec.cmd.at, `${rec.cmd.type} (${rec.state})`)];
  }
  return isCard ? cardMessages(rec) : actorMessages(rec, run!);
}

/** A live token delta of a followed actor as a `log` line (`metadata.delta: true`, no cursor). */
export function deltaMessage(d: DeltaEvent, run: RunRef, now: number): Derived {
  return log('provider', 'info', run.runId, now, d.text, {
    delta: true,
    actor: d.actor,
    agent: run.agent,
    effectId: d.effectId,
    n: d.n,
    ...(d.step !== undefined ? { step: d.step } : {}),
    ...(d.attempt !== undefined ? { attempt: d.attempt } : {}),
  });
}

/** Which messages a client asked for: levels and sources (empty or absent: all). */
export interface TerminalFilter {
  readonly levels?: ReadonlySet<TerminalLevel>;
  readonly sources?: ReadonlySet<TerminalSource>;
}

export function passes(m: Derived, f: TerminalFilter): boolean {
  if (f.levels && f.levels.size > 0 && !f.levels.has(m.level)) return false;
  return !(f.sources && f.sources.size > 0 && !f.sources.has(m.source));
}
