/**
 * edit_file is applied once per effect: a re-run of the same effect (a re-drive after a crash
 * between the write and the recorded outcome) finds its post-image on disk through the write ledger
 * and writes nothing, even for an edit whose new text contains the old (`0|` → `0||`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createToolset,
  sqliteWriteLedger,
  type ToolContext,
  type WriteLedger,
} from '../../workspace-node/tools/index.js';
import { tempDir } from '../harness/index.js';

let ws: ReturnType<typeof tempDir>;
let db: Database.Database;
let writes: WriteLedger;
const toolset = createToolset();
const grow = { path: 'c.txt', old: '0|', new: '0||' };
const file = () => readFileSync(join(ws.path, 'c.txt'), 'utf8');
const ctx = (effectId: string, ledger: WriteLedger | null = writes): ToolContext => ({
  root: ws.path,
  producer: { address: 'o.w.agent.a1', effectId },
  ...(ledger ? { writes: ledger } : {}),
});

beforeEach(() => {
  ws = tempDir('moe-ws-');
  db = new Database(':memory:');
  writes = sqliteWriteLedger(db, () => 1_000);
  writeFileSync(join(ws.path, 'c.txt'), '0|');
});
afterEach(() => {
  db.close();
  ws.remove();
});

describe('edit_file applied once per effect', () => {
  it('a re-run of the same effect after the write is a no-op with the same output', async () => {
    const first = await toolset.run('edit_file', grow, ctx('e1'));
    expect(first).toEqual({ output: 'replaced 1 occurrence in c.txt', isError: false });
    expect(file()).toBe('0||');
    const rerun = await toolset.run('edit_file', grow, ctx('e1'));
    expect(rerun).toEqual(first);
    expect(file()).toBe('0||');
  });

  it('a re-run that finds the pre-image (the write never happened) applies the edit', async () => {
    writes.plan(
      { address: 'o.w.agent.a1', effectId: 'e1' },
      { path: 'c.txt', preSha256: 'x', postSha256: 'not-on-disk', output: 'planned' },
    );
    const r = await toolset.run('edit_file', grow, ctx('e1'));
    expect(r.output).toBe('replaced 1 occurrence in c.txt');
    expect(file()).toBe('0||');
  });

  it('another effect making the same edit applies it again (it is a new edit)', async () => {
    await toolset.run('edit_file', grow, ctx('e1'));
    await toolset.run('edit_file', grow, ctx('e2'));
    expect(file()).toBe('0|||');
  });

  it('without a ledger a re-run applies the edit twice (what the ledger prevents)', async () => {
    await toolset.run('edit_file', grow, ctx('e1', null));
    await toolset.run('edit_file', grow, ctx('e1', null));
    expect(file()).toBe('0|||');
  });
});
