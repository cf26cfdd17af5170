/**
 * `moe reproject <workspace dir>`: the projections are rebuilt from the session logs. After a
 * run, the three projection databases are deleted; reprojecting restores exactly the rows the node
 * had written (one per turn, multi-turn entries included), and running it again adds nothing.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeCodec } from '../../actors/kernel/index.js';
import { commandMsgId, commandSubject } from '../../schemas/index.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { eventually, MOE_BIN, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const indexedTurns = (dir: string) => {
  const db = new Database(join(dir, 'db', 'parsed_sessions.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM indexed').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('moe reproject', () => {
  it('rebuilds deleted projections from the session logs, once', async () => {
    const org = { org: 'rp', ws: 'w1', kind: 'org', id: 'o' };
    const turns = 30;
    for (let i = 0; i < turns; i++) {
      const cmd =
        i === 0
          ? { id: 'c0', type: 'org.create', data: { name: 'R' } }
          : { id: `c${i}`, type: 'workspace.add', data: { workspace: `w${i}` } };
      await p.client.js.publish(commandSubject(org), envelopeCodec.encode(cmd), {
        msgID: commandMsgId(org, cmd.id),
      });
    }
    const node = await p.node({ nodeId: 'rp', only: ['rp.w1'] });
    const host = await node.waitForWorkspace('rp', 'w1');
    await eventually(() => (host.kernel.stats.turns >= turns ? true : undefined));
    await node.stop();
    const dir = workspaceDir(p.dataDir, 'rp', 'w1');
    expect(indexedTurns(dir)).toBe(turns);

    for (const db of ['messages', 'parsed_sessions', 'metrics'])
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(join(dir, 'db', `${db}.db${suffix}`), { force: true });

    const run = () =>
      JSON.parse(
        execFileSync(process.execPath, [MOE_BIN, 'reproject', dir, '--json'], { encoding: 'utf8' }),
      ) as { turns: number; entries: number; logs: number };
    const report = run();
    expect(report.turns).toBe(turns);
    expect(report.logs).toBe(1);
    expect(report.entries).toBeLessThanOrEqual(turns);
    expect(indexedTurns(dir)).toBe(turns);
    run();
    expect(indexedTurns(dir)).toBe(turns);
  });

  it('refuses a directory that is not a workspace, with its code', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, [MOE_BIN, 'reproject', p.dataDir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr?: string }).stderr);
      expect((err as { status?: number }).status).toBe(1);
    }
    expect(stderr).toContain('MOE_ERR_REPROJECT_INPUT');
  });
});
