/**
 * Parallel replay (actors partitioned over worker threads) must rebuild exactly what the
 * single-threaded Replayer rebuilds — same actors in the same order, same turn, lastSeq,
 * divergences and persisted snapshot — and report a bad line by file:line as `moe replay` always
 * has. Runs real worker threads on the committed session fixture and on generated multi-actor logs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../actors/index.js';
import {
  ReplayInputError,
  ReplayPool,
  Replayer,
  replayParallel,
  type ParallelReplayResult,
} from '../../actors/kernel/index.js';
import { shardOf } from '../../actors/kernel/logShards.js';
import { replayFile } from '../../cli/commands/replay.js';
import { tempDir } from '../harness/util.js';

const fixture = resolve(import.meta.dirname, '..', 'fixtures', 'demo-session-v1.jsonl');
const fixtureLines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);
const dir = tempDir('moe-replay-parallel-');
afterAll(() => dir.remove());

/** Journal lines of `actors` org actors taking `turns` turns each, interleaved as a node writes them. */
function orgLines(actors: number, turns: number, name = (i: number) => `org ${i}`): string[] {
  const lines: string[] = [];
  let seq = 0;
  for (let turn = 1; turn <= turns; turn++)
    for (let i = 0; i < actors; i++) {
      const create = turn === 1;
      const rec = {
        v: 1,
        actor: { org: 'gen', ws: 'w', kind: 'org', id: `o${i}` },
        turn,
        session: '_workspace',
        cmd: create
          ? { id: `c${turn}`, type: 'org.create', at: 1000 + seq, data: { name: name(i) } }
          : { id: `c${turn}`, type: 'workspace.add', at: 1000 + seq, data: { workspace: `w${turn}` } },
        state: 'active',
        status: 'active',
        events: [
          create
            ? { type: 'org.created', name: name(i) }
            : { type: 'workspace.added', workspace: `w${turn}` },
        ],
        effects: [],
        cancels: [],
      };
      lines.push(JSON.stringify({ seq: ++seq, rec }));
    }
  return lines;
}

function write(name: string, lines: string[]): string {
  const path = join(dir.path, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** What the single-threaded Replayer rebuilds from the file, in the parallel result's shape. */
function replayedSingly(path: string) {
  const r = new Replayer(defaultRegistry());
  for (const line of readFileSync(path, 'utf8').split('\n')) r.applyLine(line.trim(), true);
  const actors = [...r.actors.values()].map((a) => ({
    key: a.key,
    kind: a.kind,
    turn: a.turn,
    lastSeq: a.lastSeq,
    divergences: a.divergences,
    persisted: r.persisted(a.key),
  }));
  return { applied: r.applied, skipped: r.skipped, actors };
}

function shape(result: ParallelReplayResult) {
  return {
    applied: result.applied,
    skipped: result.skipped,
    actors: result.actors.map(({ firstLine: _firstLine, ...a }) => a),
  };
}

// Fixture actors first, then 60 org actors; every third line repeated (as after a crash).
const mixed = write(
  'mixed.jsonl',
  [...fixtureLines, ...orgLines(60, 12)].flatMap((l, i) => (i % 3 === 0 ? [l, l] : [l])),
);

describe('parallel replay', () => {
  it('rebuilds the committed session fixture exactly as the single-threaded Replayer', async () => {
    const result = await replayParallel(fixture, { workers: 2, validate: true });
    expect(result.workers).toBe(2);
    expect(result.actors.length).toBeGreaterThanOrEqual(3);
    expect(shape(result)).toEqual(replayedSingly(fixture));
  });

  it('replays a small log in-thread by default, with the same result', async () => {
    const result = await replayParallel(mixed, { validate: true });
    expect(result.workers).toBe(0);
    expect(shape(result)).toEqual(replayedSingly(mixed));
  });

  it('rebuilds a multi-actor log with repeated lines identically with 1, 2 and 3 workers', async () => {
    const want = replayedSingly(mixed);
    expect(want.actors.length).toBeGreaterThan(60);
    expect(want.skipped).toBeGreaterThan(0);
    for (const workers of [1, 2, 3]) {
      const result = await replayParallel(mixed, { workers, validate: true });
      expect(result.workers).toBe(workers);
      expect(shape(result), `${workers} workers`).toEqual(want);
    }
  });

  it('keeps an actor on one worker when some of its lines are formatted differently', async () => {
    // Spaces around the actor object defeat the string scan: those lines are parsed instead.
    const spaced = orgLines(20, 6).map((l, i) =>
      i % 2 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '') : l,
    );
    const path = write('spaced.jsonl', spaced);
    expect(shape(await replayParallel(path, { workers: 2, validate: true }))).toEqual(replayedSingly(path));
  });

  it('reads lines longer than its read buffer and multi-byte characters across buffer ends', async () => {
    const path = write(
      'long.jsonl',
      orgLines(8, 3, (i) => (i % 2 ? 'é😀'.repeat(150_000 + i) : `org ${i}`)),
    );
    expect(shape(await replayParallel(path, { workers: 2, validate: true }))).toEqual(replayedSingly(path));
  });

  it('runs replay after replay on one pool', async () => {
    const pool = new ReplayPool(2);
    try {
      await pool.started();
      const [a, b] = await Promise.all([pool.replay(mixed), pool.replay(fixture)]);
      expect(a.actors.length).toBeGreaterThan(60);
      expect(shape(b)).toEqual(replayedSingly(fixture));
    } finally {
      await pool.close();
    }
  });

  it('names the file and line of the first bad line, whichever worker met it', async () => {
    const lines = orgLines(10, 4);
    // A second turn recorded as a third, for an actor worker 1 of 2 replays: a gap at that line.
    // Later lines that worker 0 meets are broken too: not JSON, and no actor at all.
    const gapAt = lines.findIndex((l, i) => i >= 10 && shardOf(l, 2) === 1);
    expect(gapAt).toBeLessThan(20);
    const broken = lines.map((l, i) => (i === gapAt ? l.replace('"turn":2', '"turn":3') : l));
    broken[30] = '{"seq": 99, "rec": ';
    broken[34] = '{"seq": 2, "rec": {"v": 1}}';
    expect(shardOf(broken[30], 2)).toBe(0);
    const path = write('broken.jsonl', broken);
    for (const workers of [1, 2]) {
      const error = await replayParallel(path, { workers, validate: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReplayInputError);
      expect((error as ReplayInputError).line).toBe(gapAt + 1);
      expect((error as Error).message).toContain(`${path}:${gapAt + 1}: `);
      expect((error as Error).message).toContain('turn 3 follows turn 1');
    }
    const noActor = write('no-actor.jsonl', [fixtureLines[0]!, '{"seq": 2, "rec": {"v": 1}}']);
    await expect(replayFile(noActor)).rejects.toMatchObject({
      code: 'MOE_ERR_REPLAY_INPUT',
      message: expect.stringContaining(`${noActor}:2: `) as string,
    });
  });

  it('rejects, without hanging, when a worker cannot read the file', async () => {
    await expect(replayParallel(join(dir.path, 'missing.jsonl'), { workers: 2 })).rejects.toThrow(
      /replay worker failed: ENOENT/,
    );
  });
});
