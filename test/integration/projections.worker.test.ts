/**
 * Projections run on a worker thread, off the turn loop: committed entries' lines reach the
 * messages, full-text and metrics databases (one row per turn, also for multi-turn entries), a
 * line sent twice is projected once, and a worker that cannot start is restarted with backoff a
 * bounded number of times — however long each start takes — then replaced by projecting on the
 * main thread (status degraded, one error line), so nothing is lost.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../schemas/index.js';
import { ProjectionQueue } from '../../workspace-node/projectionQueue.js';
import { openSqliteCluster, type SqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { eventually, tempDir } from '../harness/index.js';

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
const levels = (logged: readonly string[], level: number) =>
  logged.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === level);

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

  it('projects on the main thread, degraded, after a bounded number of worker deaths', async () => {
    const dir = tempDir();
    const cluster = openSqliteCluster(dir.path);
    const logged: string[] = [];
    // The worker opens its databases under this directory, which does not exist: it dies at start.
    const q = new ProjectionQueue(
      `${dir.path}/missing/db`,
      cluster,
      pino({ level: 'warn' }, { write: (m) => logged.push(m) }),
      { restartBaseMs: 10, maxWorkerFailures: 3 },
    );
    try {
      q.push(line(1, entry(1, 2)));
      await q.flush();
      expect(count(cluster, 'SELECT count(*) AS n FROM messages')).toBe(2);
      expect(q.status).toMatchObject({ mode: 'main-thread', workerRestarts: 2 });
      expect(q.status.degraded).toContain('projecting on the main thread');
      // Two restarts warned, then exactly one error line: no flood.
      expect(levels(logged, 40)).toHaveLength(2);
      expect(levels(logged, 50).map((l) => l.msg)).toEqual([
        'projection worker given up; projecting on the main thread (degraded)',
      ]);
      q.push(line(2, entry(3, 1)));
      await q.flush();
      expect(count(cluster, 'SELECT count(*) AS n FROM messages')).toBe(3);
    } finally {
      await q.close();
      cluster.close();
      dir.remove();
    }
  });

  it('gives up on a worker that dies at every start even when each start takes seconds', async () => {
    const dir = tempDir();
    const cluster = openSqliteCluster(dir.path);
    // messages.db is held in exclusive locking mode by the main thread's own connection: the worker
    // waits out its busy timeout (seconds) on open, then dies. A give-up that only counted quick
    // deaths would restart it forever.
    cluster.messages.pragma('locking_mode = EXCLUSIVE');
    cluster.messages.exec('BEGIN EXCLUSIVE; COMMIT');
    const logged: string[] = [];
    const q = new ProjectionQueue(
      dir.path,
      cluster,
      pino({ level: 'warn' }, { write: (m) => logged.push(m) }),
      { restartBaseMs: 10, maxWorkerFailures: 2 },
    );
    try {
      q.push(line(1, entry(1, 2)));
      await eventually(() => (q.status.mode === 'main-thread' ? true : undefined), {
        timeoutMs: 50_000,
        what: 'the queue to give up on the worker',
      });
      await q.flush();
      expect(count(cluster, 'SELECT count(*) AS n FROM messages')).toBe(2);
      expect(q.status.degraded).toContain('died 2 times in a row');
      expect(levels(logged, 50)).toHaveLength(1);
    } finally {
      await q.close();
      cluster.close();
      dir.remove();
    }
  });
});
