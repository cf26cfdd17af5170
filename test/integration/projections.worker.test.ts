/**
 * Projections run on a worker thread, off the turn loop: committed entries' lines reach the
 * messages, full-text and metrics databases (one row per turn, also for multi-turn entries), a
 * line sent twice is projected once, and a worker that cannot start is replaced by projecting on
 * the main thread, so nothing is lost.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../schemas/index.js';
import { ProjectionQueue } from '../../workspace-node/projectionQueue.js';
import { openSqliteCluster, type SqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { tempDir } from '../harness/index.js';

const entry = (first: number, n: number): JournalEntry => ({
  v: 2,
  actor: { org: 'o', ws: 'w', kind: 'agent', id: 't1' },
  session: 's1',
  turns: Array.from({ length: n }, (_, i) => ({
    turn: first + i,
    cmd: { id: `c${first + i}`, type: 'task.submit', at: 1, data: { prompt: `prompt ${first + i}` } },
    state: 'thinking',
    status: 'active' as const,
    events: [{ type: 'task.accepted', prompt: `prompt ${first + i}` }],
    effects: [],
    cancels: [],
  })),
});
const line = (seq: number, e: JournalEntry) => JSON.stringify({ seq, rec: e });
const count = (c: SqliteCluster, sql: string) => (c.messages.prepare(sql).get() as { n: number }).n;

describe('projection worker', () => {
  it('projects every turn of every entry, once, off the main thread', async () => {
    const dir = tempDir();
    const cluster = openSqliteCluster(dir.path);
    const errors: unknown[] = [];
    const q = new ProjectionQueue(
      dir.path,
      cluster,
      pino({ level: 'error' }, { write: (m) => errors.push(m) }),
    );
    try {
      q.push(line(1, entry(1, 1)));
      q.push(line(2, entry(2, 3))); // one entry, three turns
      q.push(line(2, entry(2, 3))); // the same entry again (catch-up after a crash)
      await q.flush();
      expect(count(cluster, 'SELECT count(*) AS n FROM messages')).toBe(4);
      expect(count(cluster, 'SELECT count(*) AS n FROM messages WHERE seq = 2')).toBe(3);
      const text = cluster.parsed_sessions.prepare(
        "SELECT count(*) AS n FROM session_text WHERE session_text MATCH 'prompt'",
      );
      expect((text.get() as { n: number }).n).toBe(4);
      expect(errors).toEqual([]);
    } finally {
      await q.close();
      cluster.close();
      dir.remove();
    }
  });

  it('projects on the main thread when the worker cannot start', async () => {
    const dir = tempDir();
    const cluster = openSqliteCluster(dir.path);
    const logged: string[] = [];
    // The worker opens its databases under this directory, which does not exist: it dies at start.
    const q = new ProjectionQueue(
      `${dir.path}/missing/db`,
      cluster,
      pino({ level: 'warn' }, { write: (m) => logged.push(m) }),
    );
    try {
      q.push(line(1, entry(1, 2)));
      await q.flush();
      expect(count(cluster, 'SELECT count(*) AS n FROM messages')).toBe(2);
      expect(logged.join('')).toContain('projecting on the main thread');
      q.push(line(2, entry(3, 1)));
      await q.flush();
      expect(count(cluster, 'SELECT count(*) AS n FROM messages')).toBe(3);
    } finally {
      await q.close();
      cluster.close();
      dir.remove();
    }
  });
});
