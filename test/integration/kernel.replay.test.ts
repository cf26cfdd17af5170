/**
 * Recovery = snapshot + replay. Forcing restore-from-journal before every turn (Restate's
 * alwaysReplay) gives the same journal as a normal run; idle actors are passivated and come back
 * from their snapshot; `moe replay` rebuilds a live session log to the stored snapshots.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWithSeq } from '../../client/index.js';
import { replayFile } from '../../cli/commands/replay.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const script = [
  { text: 'plan', toolCalls: [{ name: 'write_file', input: { path: 'plan.md', content: '# plan' } }] },
  {
    text: 'check',
    toolCalls: [
      { name: 'read_file', input: { path: 'plan.md' } },
      { name: 'list_files', input: {} },
    ],
  },
  { text: 'final answer' },
];

/** What must not depend on where or how a run was hosted. */
const shape = (rs: RecordWithSeq[]) =>
  rs.map(({ record: r }) => ({
    turn: r.turn,
    cmd: r.cmd.type,
    state: r.state,
    status: r.status,
    events: r.events.map((e) => e.type),
    effects: r.effects.map((e) => `${e.id}:${e.kind}`),
  }));

async function sessionRun(ws: string) {
  const s = { org: 'rp', ws, kind: 'session', id: 'main' };
  await p.client.request(s, { id: 'open', type: 'session.open', data: { title: 'replay' } });
  const { records } = await p.client.runTask(
    'rp',
    ws,
    'job',
    { prompt: 'replay me', script },
    { session: 'main' },
  );
  await p.client.request(s, { id: 'renew', type: 'session.renew', data: {} });
  await p.client.request(s, { id: 'close', type: 'session.close', data: {} });
  return records;
}

describe('replay', () => {
  it('restoring from the journal before every turn gives the same results as a normal run', async () => {
    const normal = await p.node({ nodeId: 'normal', only: ['rp.normal'] });
    const replaying = await p.node({ nodeId: 'replaying', only: ['rp.always'], alwaysReplay: true });
    const a = await sessionRun('normal');
    const b = await sessionRun('always');
    expect(shape(b)).toEqual(shape(a));
    const stats = replaying.hosts.get('rp.always')!.kernel.stats;
    expect(stats.caughtUp).toBeGreaterThan(a.length); // every turn rebuilt the actor from MOE_EVT
    expect(stats.divergences).toBe(0);
    expect(normal.hosts.get('rp.normal')!.kernel.stats.caughtUp).toBe(0);
    await normal.stop();
    await replaying.stop();
  });

  it('moe replay rebuilds a live session log to exactly the stored snapshots', async () => {
    const file = join(workspaceDir(p.dataDir, 'rp', 'normal'), 'sessions', 'main.jsonl');
    const report = await replayFile(file);
    expect(report.ok).toBe(true);
    expect(report.actors.map((a) => [a.actor, a.match])).toEqual([
      ['rp.normal.session.main', true],
      ['rp.normal.agent.job', true],
      // the session's close asked the workspace's backup actor for a backup, in this session
      ['rp.normal.backup.workspace', true],
    ]);
    expect(report.applied).toBeGreaterThanOrEqual(9);
  });

  it('passivates idle actors and re-activates them from their snapshot', async () => {
    const n = await p.node({ nodeId: 'idle', only: ['rp.idle'], idleMs: 100 });
    const org = { org: 'rp', ws: 'idle', kind: 'org', id: 'o' };
    await p.client.request(org, { id: 'c1', type: 'org.create', data: { name: 'o' } });
    const kernel = n.hosts.get('rp.idle')!.kernel;
    await eventually(() => (kernel.resident === 0 ? true : undefined), { what: 'passivation' });
    expect(kernel.stats.passivations).toBeGreaterThanOrEqual(1);
    const r = await p.client.request(org, { id: 'c2', type: 'workspace.add', data: { workspace: 'w' } });
    expect(r.record.turn).toBe(2);
    expect(r.record.events[0]?.type).toBe('workspace.added');
    expect(kernel.stats.activations).toBe(2);
    expect(kernel.stats.caughtUp).toBe(0); // the snapshot was current: no journal read needed
    await n.stop();
  });
});
