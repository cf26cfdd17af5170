/** The artifact store on a real artifacts.db: one row per (effect, path), the right hash, queries. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactStore,
  artifactRecorder,
  hashContent,
  hashFile,
} from '../../workspace-node/artifacts/index.js';
import { createToolset } from '../../workspace-node/tools/index.js';
import { tempDir } from '../harness/index.js';

let dir: ReturnType<typeof tempDir>;
let db: Database.Database;
let store: ArtifactStore;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeEach(() => {
  dir = tempDir('moe-artifacts-');
  db = new Database(join(dir.path, 'artifacts.db'));
  store = new ArtifactStore(db);
});
afterEach(() => {
  db.close();
  dir.remove();
});

describe('ArtifactStore', () => {
  it('records the same (effect id, path) once however often it is recorded', () => {
    const a = { path: 'out.md', ...hashContent('v1'), producer: 'agent/a1', effectId: 'e1', createdAt: 1000 };
    expect(store.record(a)).toBe('inserted');
    expect(store.record({ ...a, createdAt: 2000 })).toBe('unchanged');
    expect(store.byPath('out.md')).toEqual([{ ...a, sha256: sha('v1'), size: 2 }]);
    expect(db.prepare('SELECT count(*) AS n FROM artifacts').get()).toEqual({ n: 1 });
  });

  it('keeps one row per turn for the same path and answers by path, latest and producer', () => {
    store.record({
      path: 'r.md',
      ...hashContent('one'),
      producer: 'agent/a1',
      effectId: 'e1',
      createdAt: 10,
    });
    store.record({
      path: 'r.md',
      ...hashContent('two'),
      producer: 'agent/a2',
      effectId: 'e2',
      createdAt: 20,
    });
    store.record({
      path: 'x.md',
      ...hashContent('one'),
      producer: 'agent/a1',
      effectId: 'e3',
      createdAt: 30,
    });
    expect(store.byPath('r.md').map((a) => a.effectId)).toEqual(['e1', 'e2']);
    expect(store.latest('r.md')).toMatchObject({ effectId: 'e2', sha256: sha('two'), producer: 'agent/a2' });
    expect(store.latest('nope.md')).toBeUndefined();
    expect(store.byProducer('agent/a1').map((a) => a.path)).toEqual(['r.md', 'x.md']);
    expect(store.byEffect('e3')).toHaveLength(1);
    expect(store.bySha256(sha('one')).map((a) => a.effectId)).toEqual(['e1', 'e3']);
  });

  it('takes the new hash when a re-driven effect wrote different bytes, keeping the first time', () => {
    store.record({
      path: 'r.md',
      ...hashContent('first'),
      producer: 'agent/a1',
      effectId: 'e1',
      createdAt: 10,
    });
    expect(
      store.record({
        path: 'r.md',
        ...hashContent('rerun'),
        producer: 'agent/a1',
        effectId: 'e1',
        createdAt: 99,
      }),
    ).toBe('updated');
    expect(store.byPath('r.md')).toEqual([
      { path: 'r.md', sha256: sha('rerun'), size: 5, producer: 'agent/a1', effectId: 'e1', createdAt: 10 },
    ]);
  });

  it('uses WAL and survives closing and reopening the database file', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    store.record({
      path: 'keep.md',
      ...hashContent('k'),
      producer: 'agent/a1',
      effectId: 'e1',
      createdAt: 1,
    });
    db.close();
    db = new Database(join(dir.path, 'artifacts.db'));
    store = new ArtifactStore(db);
    expect(store.byPath('keep.md')).toHaveLength(1);
  });

  it('records what write_file and edit_file produced, with the hash of the bytes on disk', async () => {
    const ws = tempDir('moe-ws-');
    try {
      const toolset = createToolset();
      let clock = 5000;
      const recordArtifact = artifactRecorder(store, () => clock++);
      const run = async (effectId: string, tool: string, input: Record<string, unknown>) => {
        const producer = { address: 'org/o/ws/w/agent/a1', effectId };
        return toolset.run(tool, input, { root: ws.path, producer, recordArtifact });
      };
      await run('e1', 'write_file', { path: 'doc/r.md', content: 'hello world' });
      await run('e1', 'write_file', { path: 'doc/r.md', content: 'hello world' }); // re-driven effect
      await run('e2', 'edit_file', { path: 'doc/r.md', old: 'world', new: 'there' });
      const rows = store.byPath('doc/r.md');
      expect(rows.map((r) => [r.effectId, r.sha256, r.createdAt])).toEqual([
        ['e1', sha('hello world'), 5000],
        ['e2', sha('hello there'), 5002],
      ]);
      expect((await hashFile(join(ws.path, 'doc/r.md'))).sha256).toBe(rows[1]?.sha256);
      expect(store.byProducer('org/o/ws/w/agent/a1')).toHaveLength(2);
    } finally {
      ws.remove();
    }
  });
});
