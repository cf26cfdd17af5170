/**
 * Old histories must keep replaying (Temporal's replay tests): a session log committed from a real
 * run (coordinator + two experts + session) replays through today's machines to the snapshots that
 * run stored. `moe replay` exits 0 on a match and non-zero with a diff when the log was altered.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../actors/index.js';
import { Replayer } from '../../actors/kernel/index.js';
import { MOE_BIN, tempDir } from '../harness/index.js';

const fixtures = resolve(import.meta.dirname, '..', 'fixtures');
const log = join(fixtures, 'demo-session-v1.jsonl');
const expected = JSON.parse(readFileSync(join(fixtures, 'demo-session-v1.expected.json'), 'utf8')) as Record<
  string,
  { turn: number; state: string; snapshot: unknown }
>;

function replay(lines: string[]): Replayer {
  const r = new Replayer(defaultRegistry());
  for (const line of lines) r.applyLine(line, true);
  return r;
}

describe('the committed session fixture', () => {
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);

  it('replays to the snapshots the original run stored', () => {
    const r = replay(lines);
    expect([...r.actors.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const actor = r.actors.get(key)!;
      expect(actor.divergences, key).toEqual([]);
      expect(actor.turn, key).toBe(want.turn);
      expect(r.persisted(key), key).toEqual(want.snapshot);
    }
  });

  it('skips lines repeated after a crash and still reaches the same snapshots', () => {
    const repeated = lines.flatMap((l, i) => (i % 3 === 0 ? [l, l] : [l]));
    const r = replay(repeated);
    expect(r.skipped).toBe(Math.ceil(lines.length / 3));
    for (const [key, want] of Object.entries(expected)) expect(r.persisted(key), key).toEqual(want.snapshot);
  });

  it('moe replay exits 0 when the rebuilt state equals the stored snapshots, 1 with a diff when not', () => {
    const dir = tempDir();
    try {
      // A sessions.db built from the expected snapshots, next to the log as in a workspace.
      const sessions = join(dir.path, 'sessions');
      const db = join(dir.path, 'db');
      mkdirSync(sessions, { recursive: true });
      mkdirSync(db, { recursive: true });
      copyFileSync(log, join(sessions, 'main.jsonl'));
      const build = spawnSync(
        process.execPath,
        [
          '-e',
          `const D = require(${JSON.stringify(resolve('node_modules/better-sqlite3'))});
           const db = new D(${JSON.stringify(join(db, 'sessions.db'))});
           db.exec('CREATE TABLE actors (key TEXT PRIMARY KEY, kind TEXT, session TEXT, turn INTEGER, last_seq INTEGER, state TEXT, status TEXT, snapshot TEXT)');
           const e = ${JSON.stringify(expected)};
           for (const [k, v] of Object.entries(e)) db.prepare('INSERT INTO actors VALUES (?,?,?,?,?,?,?,?)').run(k, k.split('.')[2], 's', v.turn, 0, v.state, 'x', JSON.stringify(v.snapshot));`,
        ],
        { encoding: 'utf8' },
      );
      expect(build.status, build.stderr).toBe(0);
      const ok = spawnSync(process.execPath, [MOE_BIN, 'replay', join(sessions, 'main.jsonl')], {
        encoding: 'utf8',
      });
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toContain('OK: replayed state equals the stored snapshots');

      // Alter one effect result: the replayed context no longer matches the stored snapshot.
      const altered = lines.map((l) => l.replace('Risks: load and onboarding', 'Risks: none at all'));
      expect(altered).not.toEqual(lines);
      writeFileSync(join(sessions, 'main.jsonl'), `${altered.join('\n')}\n`);
      const bad = spawnSync(process.execPath, [MOE_BIN, 'replay', join(sessions, 'main.jsonl')], {
        encoding: 'utf8',
      });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('DIFFERS');
      expect(bad.stdout).toContain('MISMATCH');
    } finally {
      dir.remove();
    }
  });

  it('moe replay names the file and line of a malformed record', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'broken.jsonl');
      writeFileSync(file, `${lines[0]}\n{"seq": 2, "rec": {"v": 1}}\n`);
      const r = spawnSync(process.execPath, [MOE_BIN, 'replay', file], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('MOE_ERR_REPLAY_INPUT');
      expect(r.stderr).toContain('broken.jsonl:2');
    } finally {
      dir.remove();
    }
  });
});
