/**
 * Projections of journal records into the query databases (messages, full-text, metrics). Each
 * projection stores the last sequence it applied, so re-applying a record (catch-up after a crash)
 * is a no-op, and a projection can be rebuilt by replaying events from sequence 0.
 */
import type Database from 'better-sqlite3';
import { addressKey, type JournalRecord, type Usage } from '../schemas/index.js';
import type { SqliteCluster } from './sqliteCluster.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface Projection {
  readonly db: Database.Database;
  apply(record: JournalRecord, seq: number): void;
}

export type Projector = ((record: JournalRecord, seq: number) => void) & {
  /** applies what is queued now (call before closing the databases) */
  flush(): void;
};

export function createProjector(cluster: SqliteCluster): Projector {
  const msg = cluster.messages.prepare(
    'INSERT OR IGNORE INTO messages (seq, actor, session, role, content, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const text = cluster.parsed_sessions.prepare(
    'INSERT INTO session_text (session, actor, kind, text, seq) VALUES (?, ?, ?, ?, ?)',
  );
  const seen = cluster.parsed_sessions.prepare('INSERT OR IGNORE INTO indexed (seq) VALUES (?)');
  const call = cluster.metrics.prepare(
    `INSERT OR IGNORE INTO calls (seq, actor, session, provider, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, at, effect_id, cost_micros, price_micros, markup, duration_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const projections: Projection[] = [
    {
      db: cluster.messages,
      apply(r, seq) {
        const actor = addressKey(r.actor);
        if (r.cmd.type === 'task.submit')
          msg.run(seq, actor, r.session, 'user', str(r.cmd.data?.prompt), r.cmd.at);
        for (const e of r.events) {
          if (e.type === 'agent.replied') msg.run(seq, actor, r.session, 'assistant', str(e.text), r.cmd.at);
        }
      },
    },
    {
      db: cluster.parsed_sessions,
      apply(r, seq) {
        if (seen.run(seq).changes === 0) return;
        const words = [
          r.cmd.type,
          JSON.stringify(r.cmd.data ?? {}),
          ...r.events.map((e) => JSON.stringify(e)),
        ].join(' ');
        text.run(r.session, addressKey(r.actor), r.actor.kind, words, seq);
      },
    },
    {
      db: cluster.metrics,
      // One row per provider call: from `usage.recorded` (exact cost and price); journals written
      // before that event existed have only `agent.replied` with tokens.
      apply(r, seq) {
        const recorded = r.events.filter((e) => e.type === 'usage.recorded');
        const calls = recorded.length
          ? recorded
          : r.events.filter((e) => e.type === 'agent.replied' && e.usage);
        for (const e of calls) {
          const u = e.usage as Usage;
          const num = (v: unknown) => (typeof v === 'number' ? v : null);
          call.run(
            seq,
            addressKey(r.actor),
            r.session,
            String(e.provider),
            String(e.model),
            u.inputTokens,
            u.outputTokens,
            u.cacheReadTokens,
            u.cacheWriteTokens,
            r.cmd.at,
            str(e.effectId ?? r.cmd.data?.effectId),
            num(e.costMicros) ?? 0,
            num(e.priceMicros) ?? 0,
            num(e.markup),
            num(e.durationMs),
          );
        }
      },
    },
  ];
  // Turns of different actors commit out of sequence order, so each projection is idempotent by
  // seq (primary keys) rather than guarded by a high-water mark; `last_seq` is kept for reporting.
  // Records arriving in the same tick (one group commit) are projected together: one
  // transaction per database per batch, not per record.
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
  let pending: Array<readonly [JournalRecord, number]> = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0 || !cluster.messages.open) return;
    for (const tx of txs) tx(batch);
  };
  const project = (record: JournalRecord, seq: number) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push([record, seq]);
  };
  return Object.assign(project, { flush });
}
