/**
 * Helpers for the backup tests: a workspace built by running the real demo (`moe up --demo`),
 * an object store that counts its puts and can be told to fail after N of them (a crash
 * mid-backup), and row-level / byte-level comparison of two workspace directories.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { ObjectStore } from '../../storage/index.js';
import { listFiles } from '../../workspace-node/backup/index.js';
import { freePort } from '../harness/index.js';
import { runMoe } from './cli.kit.js';

/** Runs the demo into `dataDir`; returns the demo workspace's directory. */
export async function demoWorkspace(dataDir: string): Promise<string> {
  const r = await runMoe(['up', '--demo', '--data-dir', dataDir, '--port', '0', '--supervisor-port', '0'], {
    env: { NATS_URL: `nats://127.0.0.1:${await freePort()}` },
    timeoutMs: 120_000,
  });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return join(dataDir, 'workspaces', 'demo', 'main');
}

/** Wraps a store: counts puts by key prefix; `failAfter(n)` makes every put after the next n throw. */
export class CountingStore implements ObjectStore {
  readonly puts: string[] = [];
  private left = Infinity;
  constructor(readonly inner: ObjectStore) {}
  get url(): string {
    return this.inner.url;
  }
  failAfter(n: number): void {
    this.left = n;
  }
  putsUnder(prefix: string): number {
    return this.puts.filter((k) => k.startsWith(prefix)).length;
  }
  put: ObjectStore['put'] = async (key, body, options) => {
    if (this.left-- <= 0) throw new Error(`injected crash before put ${key}`);
    this.puts.push(key);
    return this.inner.put(key, body, options);
  };
  get: ObjectStore['get'] = (key, o) => this.inner.get(key, o);
  getStream: ObjectStore['getStream'] = (key, o) => this.inner.getStream(key, o);
  head: ObjectStore['head'] = (key) => this.inner.head(key);
  list: ObjectStore['list'] = (prefix) => this.inner.list(prefix);
  delete: ObjectStore['delete'] = (key) => this.inner.delete(key);
}

/** Every row of every ordinary table, sorted, per table: equal for equal databases. */
export function rowsOf(path: string): Record<string, string[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
      )
      .all();
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        db
          .prepare(`SELECT * FROM "${name}"`)
          .raw()
          .all()
          .map((r) => JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))
          .sort(),
      ]),
    );
  } finally {
    db.close();
  }
}

/**
 * Asserts that `restored` holds the same files (bytes), logs (bytes, up to the last complete line)
 * and database rows as `source`.
 */
export function expectSameWorkspace(source: string, restored: string): void {
  const files = listFiles(join(source, 'files'));
  expect(files.length).toBeGreaterThan(0);
  expect(listFiles(join(restored, 'files'))).toEqual(files);
  for (const f of files)
    expect(readFileSync(join(restored, 'files', f)).equals(readFileSync(join(source, 'files', f))), f).toBe(
      true,
    );
  const logs = readdirSync(join(source, 'sessions')).sort();
  expect(readdirSync(join(restored, 'sessions')).sort()).toEqual(logs);
  for (const l of logs) {
    // a backup seals whole lines: an unfinished last line is not in it yet
    const bytes = readFileSync(join(source, 'sessions', l));
    const sealed = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
    expect(readFileSync(join(restored, 'sessions', l)).equals(sealed), l).toBe(true);
  }
  const dbs = readdirSync(join(source, 'db'))
    .filter((n) => n.endsWith('.db'))
    .sort();
  expect(dbs).toHaveLength(6);
  expect(
    readdirSync(join(restored, 'db'))
      .filter((n) => n.endsWith('.db'))
      .sort(),
  ).toEqual(dbs);
  for (const d of dbs) {
    const rows = rowsOf(join(source, 'db', d));
    expect(rowsOf(join(restored, 'db', d)), d).toEqual(rows);
  }
}
