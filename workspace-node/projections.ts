/**
 * Projections of journal turns into the query databases (messages, full-text, metrics, and the
 * backup catalogue in workspace.db). Rows are
 * keyed by (entry sequence, turn), so re-applying a turn (catch-up after a crash, a batch sent again
 * after a worker restart) is a no-op, and a projection can be rebuilt by replaying from sequence 0.
 * A batch of turns is applied in one transaction per database. The kernel does not wait for this:
 * a workspace runs it on a worker thread (projectionWorker.ts), off the turn loop.
 */
import type Database from 'better-sqlite3';
import {
  addressKey,
  ofType,
  PRICE_TABLE_V1,
  turnsOf,
  validEvents,
  type JournalRecord,
  type JsonlLine,
} from '../schemas/index.js';
import { logLevel } from './logLevel.js';

/**
 * The price-table version of a `calls` row whose record does not name one: the table in force
 * before 2026-12-03 (calls journaled before records carried their version were priced with it).
 */
export const LEGACY_PRICE_TABLE = PRICE_TABLE_V1.version;

/** The query databases projections write to (workspace.db: its backup catalogue, workspaceDb.ts). */
export interface ProjectionDatabases {
  readonly messages: Database.Database;
  readonly parsed_sessions: Database.Database;
  readonly metrics: Database.Database;
  readonly workspace: Database.Database;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface Projection {
  readonly db: Database.Database;
  apply(record: JournalRecord, seq: number): void;
}

/** The turns of one session-log line (`{"seq":…,"rec":…}`), each with its entry's sequence. */
export function lineTurns(line: string): Array<readonly [JournalRecord, number]> {
  const { seq, rec } = JSON.parse(line) as JsonlLine;
  return turnsOf(rec).map((t) => [t, seq] as const);
}

/** Applies a batch of turns (each with its entry's MOE_EVT sequence) to every projection. */
export type Projector = (batch: ReadonlyArray<readonly [JournalRecord, number]>) => void;

export function createProjector(cluster: ProjectionDatabases): Projector {
  const msg = cluster.messages.prepare(
    'INSERT OR IGNORE INTO messages (seq, turn, actor, session, role, content, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const text = cluster.parsed_sessions.prepare(
    'INSERT INTO session_text (session, actor, kind, text, seq) VALUES (?, ?, ?, ?, ?)',
  );
  const seen = cluster.parsed_sessions.prepare('INSERT OR IGNORE INTO indexed (seq, turn) VALUES (?, ?)');
  // the turn, time and level of each full-text row (rowid = doc), for log search's filters
  const textMeta = cluster.parsed_sessions.prepare(
    'INSERT INTO session_text_meta (doc, turn, at, level) VALUES (?, ?, ?, ?)',
  );
  const call = cluster.metrics.prepare(
    `INSERT OR IGNORE INTO calls (seq, turn, actor, session, provider, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, at, effect_id, cost_micros, price_micros, markup, duration_ms,
       price_table)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const planChange = cluster.metrics.prepare(
    'INSERT OR IGNORE INTO billing_plans (seq, turn, at, plan) VALUES (?, ?, ?, ?)',
  );
  const backup = cluster.workspace.prepare(
    `INSERT OR IGNORE INTO backups (backup_id, reason, completed_at, journal_seq, objects, bytes, uploaded,
       attempts, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const projections: Projection[] = [
    {
      db: cluster.messages,
      apply(r, seq) {
        const actor = addressKey(r.actor);
        if (r.cmd.type === 'task.submit')
          msg.run(seq, r.turn, actor, r.session, 'user', str(r.cmd.data?.prompt), r.cmd.at);
        // a follow-up message, once the agent accepted it (a refused one is not part of the conversation)
        if (validEvents(r.events).some(ofType('message.accepted')))
          msg.run(seq, r.turn, actor, r.session, 'user', str(r.cmd.data?.text), r.cmd.at);
        for (const e of validEvents(r.events).filter(ofType('agent.replied')))
          msg.run(seq, r.turn, actor, r.session, 'assistant', e.text, r.cmd.at);
      },
    },
    {
      db: cluster.parsed_sessions,
      apply(r, seq) {
        if (seen.run(seq, r.turn).changes === 0) return;
        const words = [
          r.cmd.type,
          JSON.stringify(r.cmd.data ?? {}),
          ...r.events.map((e) => JSON.stringify(e)),
        ].join(' ');
        const doc = text.run(r.session, addressKey(r.actor), r.actor.kind, words, seq).lastInsertRowid;
        textMeta.run(doc, r.turn, r.cmd.at, logLevel(r));
      },
    },
    {
      db: cluster.metrics,
      // One row per provider call: from `usage.recorded` (exact cost and price); journals written
      // before that event existed have only `agent.replied` with tokens. And each plan change the
      // billing actor accepted (billing/planHistory.ts: the plan calls are priced with).
      apply(r, seq) {
        const events = validEvents(r.events);
        if (r.actor.kind === 'billing' && r.cmd.type === 'billing.plan') {
          const plan = r.cmd.data?.plan;
          if (typeof plan === 'string' && events.some(ofType('billing.configured')))
            planChange.run(seq, r.turn, r.cmd.at, plan);
          return;
        }
        const recorded = events.filter(ofType('usage.recorded'));
        const calls = recorded.length ? recorded : events.filter(ofType('agent.replied'));
        for (const e of calls) {
          const u = e.usage;
          const recordedOnly = e.type === 'usage.recorded' ? e : undefined;
          call.run(
            seq,
            r.turn,
            addressKey(r.actor),
            r.session,
            e.provider,
            e.model,
            u.inputTokens,
            u.outputTokens,
            u.cacheReadTokens,
            u.cacheWriteTokens,
            r.cmd.at,
            recordedOnly?.effectId ?? str(r.cmd.data?.effectId),
            e.costMicros ?? 0,
            e.priceMicros ?? 0,
            recordedOnly?.markup ?? null,
            recordedOnly?.durationMs ?? null,
            // the table the call was priced with (invoices take its unit prices); older records: the
            // table of then
            recordedOnly?.priceTable ?? LEGACY_PRICE_TABLE,
          );
        }
      },
    },
    {
      db: cluster.workspace,
      // the backup catalogue: one row per completed backup of this workspace's backup actor
      apply(r, seq) {
        if (r.actor.kind !== 'backup') return;
        for (const e of validEvents(r.events).filter(ofType('backup.completed')))
          backup.run(
            e.backupId,
            e.reason,
            r.cmd.at,
            e.journalSeq,
            e.objects,
            e.bytes,
            e.uploaded,
            e.attempts,
            seq,
          );
      },
    },
  ];
  // Turns of different actors commit out of sequence order, so each projection is idempotent by
  // seq (primary keys) rather than guarded by a high-water mark; `last_seq` is kept for reporting.
  const txs = projections.map((p) => {
    const set = p.db.prepare(
      "INSERT INTO projection_meta (k, v) VALUES ('last_seq', ?) ON CONFLICT(k) DO UPDATE SET v = max(CAST(v AS INTEGER), excluded.v)",
    );
    return p.db.transaction((batch: ReadonlyArray<readonly [JournalRecord, number]>) => {
      let max = 0;
      for (const [r, seq] of batch) {
        p.apply(r, seq);
        max = Math.max(max, seq);
      }
      set.run(max);
    });
  });
  return (batch) => {
    if (batch.length > 0) for (const tx of txs) tx(batch);
  };
}
