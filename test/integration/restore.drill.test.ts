/**
 * The restore drill (issue 8, "a restore drill in CI"): the platform's main job, end to end, as a
 * user runs it, with a primary + mirror store (fs) and a test-owned nats-server:
 *   1. `moe up --demo --exit` runs the demo workspace (a coordinator and two experts write files);
 *   2. `moe node` hosts it again and `moe backup demo/main --force --wait` backs it up through
 *      the workspace's backup actor; the node is stopped;
 *   3. `moe restore demo/main --to <fresh dir>` restores that backup;
 *   4. the restored workspace files are byte-compared with the live ones, the databases row-compared,
 *      the session logs byte-compared, and `moe replay` passes on every restored log.
 * The live workspace goes on after its snapshot: the backup actor journals its run's result and
 * `backup.completed` (turns after the manifest's journalSeq). The drill checks that those are the
 * only later turns, and compares the live side as of the backup: log lines up to journalSeq,
 * projection rows up to the sequence each database's snapshot covers, and sessions.db without the
 * backup actor itself (mid-run in its own snapshot).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../workspace-node/backup/index.js';
import { startNatsServer, tempDirs, type NatsServerHandle } from '../harness/index.js';
import { reapAll, runMoe, startMoe } from './cli.kit.js';

const dirs = tempDirs();
const dir = (prefix: string): string => dirs.make(prefix);

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await reapAll(dirs.paths());
  await ns?.stop();
  dirs.removeAll();
});

const BACKUP_ACTOR = 'demo.main.backup.workspace';

/** The journal sequence of each line of a session log, and the actor kind of its turns. */
function logLines(path: string): Array<{ line: string; seq: number; kind: string }> {
  return readFileSync(path, 'utf8')
    .split(/(?<=\n)/)
    .filter((l) => l.endsWith('\n'))
    .map((line) => {
      const r = JSON.parse(line) as { seq: number; rec: { actor: { kind: string } } };
      return { line, seq: r.seq, kind: r.rec.actor.kind };
    });
}

/** The FTS5 tables' shadow tables (their content is compared through the virtual table). */
const FTS_SHADOW = /_(data|idx|content|docsize|config)$/;

/**
 * Every row of every table, sorted, as of journal sequence `asOf`: rows with a `seq` column above
 * it are left out, and so are the rows of actor `leaveOut` (a `key` column) and a projection's
 * `last_seq` mark.
 */
function rowsAsOf(path: string, asOf: number, leaveOut: string): Record<string, string[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
      .all();
    const virtual = tables.filter((t) => /^CREATE VIRTUAL/i.test(t.sql)).map((t) => t.name);
    const compared = tables.filter(
      (t) => !virtual.some((v) => t.name.startsWith(v) && FTS_SHADOW.test(t.name)),
    );
    // the search index's side table is keyed by the FTS document: its rows up to `asOf` are those
    // of the documents up to it
    const docsAsOf = virtual.includes('session_text')
      ? new Set(
          (db.prepare('SELECT rowid AS doc, seq FROM session_text').all() as { doc: number; seq: unknown }[])
            .filter((r) => Number(r.seq) <= asOf)
            .map((r) => r.doc),
        )
      : null;
    return Object.fromEntries(
      compared.map(({ name }) => [
        name,
        (db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[])
          .filter((r) => !('seq' in r) || Number(r.seq) <= asOf)
          .filter((r) => name !== 'session_text_meta' || docsAsOf === null || docsAsOf.has(Number(r.doc)))
          .filter((r) => r.key !== leaveOut)
          // how far a projection has got: its rows up to `asOf` are what is compared
          .filter((r) => !(name === 'projection_meta' && r.k === 'last_seq'))
          .map((r) => JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))
          .sort(),
      ]),
    );
  } finally {
    db.close();
  }
}

/** `projection_meta.last_seq` of a projection database. */
function lastSeqOf(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT v FROM projection_meta WHERE k = 'last_seq'").get() as
      { v: string } | undefined;
    return Number(row?.v ?? 0);
  } finally {
    db.close();
  }
}

describe('restore drill', () => {
  it('backs the demo workspace up with moe backup, restores it with moe restore: identical files, rows and logs, and moe replay passes', async () => {
    const t0 = Date.now();
    const data = dir('moe-drill-data-');
    const env = {
      NATS_URL: ns.url,
      MOE_STORAGE_PRIMARY: dir('moe-drill-primary-'),
      MOE_STORAGE_MIRROR: dir('moe-drill-mirror-'),
    };
    // 1. the demo
    const demo = await runMoe(
      ['up', '--demo', '--exit', '--data-dir', data, '--port', '0', '--supervisor-port', '0'],
      {
        env,
        timeoutMs: 120_000,
      },
    );
    expect(demo.code, demo.stdout + demo.stderr).toBe(0);
    const live = join(data, 'workspaces', 'demo', 'main');

    // 2. a node hosts it again; an on-demand backup through its backup actor
    const node = startMoe(['node', '--data-dir', data, '--id', 'drill-node'], env);
    const backup = await runMoe(
      ['backup', 'demo/main', '--force', '--wait', '--json', '--timeout', '60000'],
      {
        env,
        timeoutMs: 90_000,
      },
    );
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    const outcome = (
      JSON.parse(backup.stdout) as { outcome: { type: string; backupId: string; journalSeq: number } }
    ).outcome;
    expect(outcome.type).toBe('backup.completed');
    node.child.kill('SIGTERM');
    expect(await node.exit, node.output()).toBe(0);

    // 3. the restore, into a directory that does not exist yet
    const to = join(dir('moe-drill-restored-'), 'demo-main');
    const restore = await runMoe(['restore', 'demo/main', '--to', to, '--json'], { env });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    const result = JSON.parse(restore.stdout) as { backupId: string; journalSeq: number; objects: number };
    expect(result.backupId).toBe(outcome.backupId);
    expect(result.journalSeq).toBe(outcome.journalSeq);
    expect(restore.stderr).toMatch(/^ {2}files +(\d+)\/\1 objects/m);
    const manifest = JSON.parse(
      readFileSync(
        join(env.MOE_STORAGE_MIRROR, 'workspaces', 'demo', 'main', 'manifests', `${result.backupId}.json`),
        'utf8',
      ),
    ) as { journalSeq: number; databases: Array<{ name: string; lastSeq: number }> };

    // 4a. the workspace files: the same paths, byte for byte
    const files = listFiles(join(live, 'files'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(listFiles(join(to, 'files'))).toEqual(files);
    for (const f of files)
      expect(readFileSync(join(to, 'files', f)).equals(readFileSync(join(live, 'files', f))), f).toBe(true);

    // 4b. the session logs: the live log up to the backup's journal sequence, byte for byte; after
    // it only the backup actor's own turns (its run's result and backup.completed)
    const logs = readdirSync(join(live, 'sessions')).filter((l) => l.endsWith('.jsonl'));
    expect(readdirSync(join(to, 'sessions')).sort()).toEqual(logs.sort());
    const later: string[] = [];
    for (const l of logs) {
      const lines = logLines(join(live, 'sessions', l));
      const asOf = lines.filter((x) => x.seq <= manifest.journalSeq);
      later.push(...lines.filter((x) => x.seq > manifest.journalSeq).map((x) => x.kind));
      expect(readFileSync(join(to, 'sessions', l), 'utf8'), l).toBe(asOf.map((x) => x.line).join(''));
    }
    expect(later.length).toBeGreaterThan(0);
    expect(new Set(later)).toEqual(new Set(['backup']));

    // 4c. the six databases, row by row, as of the backup
    const dbs = readdirSync(join(live, 'db')).filter((n) => n.endsWith('.db'));
    expect(dbs).toHaveLength(6);
    const rows: Record<string, number> = {};
    for (const d of manifest.databases) {
      const asOf = d.lastSeq || manifest.journalSeq;
      const restored = rowsAsOf(join(to, 'db', `${d.name}.db`), asOf, BACKUP_ACTOR);
      const current = rowsAsOf(join(live, 'db', `${d.name}.db`), asOf, BACKUP_ACTOR);
      if (d.name === 'workspace') {
        // workspace.db's lease history goes on after the snapshot (the node released its lease when
        // it stopped): the restored history is the live one up to the snapshot
        const history = restored.lease_history ?? [];
        expect(history.length, 'lease history').toBeGreaterThan(0);
        expect(current.lease_history?.slice(0, history.length), 'lease history').toEqual(history);
        for (const r of [restored, current]) {
          delete r.lease_history;
          delete r.sqlite_sequence;
        }
      }
      expect(restored, d.name).toEqual(current);
      rows[d.name] = Object.values(restored).flat().length;
      if (d.lastSeq > 0) expect(lastSeqOf(join(to, 'db', `${d.name}.db`)), d.name).toBe(d.lastSeq);
    }

    // the demo's turns, conversation, search index and model calls were compared, not empty tables
    for (const name of ['sessions', 'messages', 'parsed_sessions', 'metrics'])
      expect(rows[name], name).toBeGreaterThan(0);

    // 4d. moe replay on every restored log passes against the restored sessions.db
    for (const l of logs) {
      const replay = await runMoe(['replay', join(to, 'sessions', l)], { env });
      expect(replay.code, replay.stdout + replay.stderr).toBe(0);
      expect(replay.stdout).toMatch(/OK: replayed state equals the stored snapshots/);
    }
    console.log(`restore drill: ${Date.now() - t0} ms, ${result.objects} objects restored`);
  }, 180_000);
});
