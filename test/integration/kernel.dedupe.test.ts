/**
 * Effectively-once: a command delivered twice is applied once — whether JetStream redelivers it,
 * a client publishes it again under another Nats-Msg-Id, or the node crashed after the journal
 * append but before its SQLite commit (simulated by rolling sessions.db back).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeCodec } from '../../actors/kernel/index.js';
import { commandSubject } from '../../schemas/index.js';
import { workspaceDir, type WorkspaceNode } from '../../workspace-node/index.js';
import { assertCleanJournal, eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('dedupe', () => {
  it('a command published twice under different Nats-Msg-Ids is applied once', async () => {
    const n1 = await p.node({ nodeId: 'n1', only: ['acme.d1'] });
    const org = { org: 'acme', ws: 'd1', kind: 'org', id: 'acme' };
    const cmd = { id: 'create-1', type: 'org.create', data: { name: 'Acme' } };
    const js = p.client.js;
    await js.publish(commandSubject(org), envelopeCodec.encode(cmd), { msgID: 'first' });
    await js.publish(commandSubject(org), envelopeCodec.encode(cmd), { msgID: 'second' });
    const probe = { id: 'probe-1', type: 'workspace.add', data: { workspace: 'x' } };
    await p.client.request(org, probe);
    const records = await p.records(`moe.evt.acme.d1.org.acme`);
    expect(records.map((r) => r.record.cmd.id)).toEqual(['create-1', 'probe-1']);
    expect(assertCleanJournal(records, org)).toBeNull();
    expect(n1.hosts.get('acme.d1')!.kernel.stats.duplicates).toBe(1);
    await n1.stop();
  });

  it('the same command id sent to different actors is applied by each of them', async () => {
    const n = await p.node({ nodeId: 'n5', only: ['acme.d3', 'other.d3'] });
    const a = { org: 'acme', ws: 'd3', kind: 'org', id: 'a' };
    const b = { org: 'acme', ws: 'd3', kind: 'org', id: 'b' };
    const c = { org: 'other', ws: 'd3', kind: 'org', id: 'a' };
    const cmd = { id: 'open', type: 'org.create', data: { name: 'n' } };
    const records = await Promise.all([a, b, c].map((to) => p.client.request(to, cmd)));
    expect(records.map((r) => r.record.events[0]?.type)).toEqual([
      'org.created',
      'org.created',
      'org.created',
    ]);
    await n.stop();
  });

  it('a redelivered command after a crash between journal append and SQLite commit is applied once', async () => {
    const nodes: WorkspaceNode[] = [await p.node({ nodeId: 'n2', only: ['acme.d2'] })];
    const org = { org: 'acme', ws: 'd2', kind: 'org', id: 'acme' };
    await p.client.request(org, { id: 'c1', type: 'org.create', data: { name: 'Acme' } });
    const db = join(workspaceDir(p.dataDir, 'acme', 'd2'), 'db', 'sessions.db');
    // Snapshot the cache as it was *before* the next command was committed.
    await nodes[0]!.stop();
    copyFileSync(db, `${db}.before`);
    if (existsSync(`${db}-wal`)) copyFileSync(`${db}-wal`, `${db}.before-wal`);
    nodes.push(await p.node({ nodeId: 'n3', only: ['acme.d2'] }));
    await p.client.request(org, { id: 'c2', type: 'workspace.add', data: { workspace: 'w' } });
    await nodes[1]!.stop();
    // Roll sessions.db back: the journal has c2, the cache does not — exactly a crash after step 3.
    copyFileSync(`${db}.before`, db);
    if (existsSync(`${db}.before-wal`)) copyFileSync(`${db}.before-wal`, `${db}-wal`);
    const n4 = await p.node({ nodeId: 'n4', only: ['acme.d2'] });
    // The same command again (as a redelivery would bring it), then a new one.
    await p.client.js.publish(
      commandSubject(org),
      envelopeCodec.encode({ id: 'c2', type: 'workspace.add', data: { workspace: 'w' } }),
      { msgID: 'redelivered-c2' },
    );
    await p.client.request(org, { id: 'c3', type: 'workspace.add', data: { workspace: 'v' } });
    const records = await p.records('moe.evt.acme.d2.>');
    expect(records.map((r) => r.record.cmd.id)).toEqual(['c1', 'c2', 'c3']);
    expect(assertCleanJournal(records, org)).toBeNull();
    const host = n4.hosts.get('acme.d2')!;
    await eventually(() =>
      host.kernel.stats.duplicates + host.kernel.stats.caughtUp > 0 ? true : undefined,
    );
    expect(host.kernel.stats.caughtUp).toBeGreaterThanOrEqual(1);
  });
});
