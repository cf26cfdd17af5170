/**
 * Discovery in O(workspaces) (issue 14 item 6): a starting node reads the workspace registry
 * (`moe_workspaces`, one entry per workspace) and only the MOE_CMD commands after the discovery
 * mark, not the last command of every actor subject. A command sent to a never-seen workspace
 * while no node runs is still found at the next start; a deleted workspace leaves the registry.
 */
import { Kvm, type KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DISCOVERY_MARK_KEY,
  KV_BUCKETS,
  parseRegistration,
  registryKey,
  retirementKey,
  STREAMS,
} from '../../schemas/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
let p: Platform;
let registry: KV;
let marks: KV;
beforeAll(async () => {
  p = await startPlatform();
  const kvm = new Kvm(p.nc);
  registry = await kvm.open(KV_BUCKETS.workspaces);
  marks = await kvm.open(KV_BUCKETS.discovery);
}, 60_000);
afterAll(async () => p?.close());

const storedMark = async () => (await marks.get(DISCOVERY_MARK_KEY))?.json<number>() ?? 0;
const lastCommandSeq = async () => (await p.jsm.streams.info(STREAMS.commands)).state.last_seq;
const registered = async () => {
  const keys: string[] = [];
  for await (const k of await registry.keys()) keys.push(k);
  return keys.sort();
};

describe('workspace discovery', () => {
  it('hosts at the next start a workspace whose only command was sent while no node ran, reading only the commands after the mark', async () => {
    const first = await p.node({ nodeId: 'd1' });
    await p.client.send(
      { org: 'acme', ws: 'first', kind: 'agent', id: 'a1' },
      { id: 'c1', type: 'task.cancel' },
    );
    await first.waitForWorkspace('acme', 'first', 30_000);
    await first.stop(); // writes the mark up to what it read
    expect(await storedMark()).toBe(await lastCommandSeq());
    expect(await registered()).toEqual(['acme.first']);

    // No node runs: a NATS client (not the gateway) writes to a workspace nobody has seen.
    await p.client.send(
      { org: 'acme', ws: 'second', kind: 'agent', id: 'a1' },
      { id: 'c2', type: 'task.cancel' },
    );

    const next = await p.node({ nodeId: 'd2' });
    await next.waitForWorkspace('acme', 'second', 30_000);
    await next.waitForWorkspace('acme', 'first', 30_000);
    await next.discovery.ready;
    const s = next.discovery.stats();
    expect(s.commandsRead).toBe(1); // the one command after the mark, not every subject
    expect(s.registryRead).toBe(1); // acme.first
    expect(s.registered).toBe(1); // acme.second, found after the mark
    const reg = parseRegistration((await registry.get(registryKey('acme', 'second')))!.value);
    expect(reg).toMatchObject({ org: 'acme', ws: 'second', by: 'd2' });
    await next.stop();
  }, 90_000);

  it('a start with thousands of actors reads one registry entry per workspace, not one message per actor', async () => {
    // `only` hosts nothing: discovery still registers every workspace and moves the mark.
    const running = await p.node({ nodeId: 'd3', only: ['none.none'] });
    const actors = 3_000;
    const workspaces = ['w0', 'w1', 'w2'];
    for (let i = 0; i < actors; i += 200)
      await Promise.all(
        Array.from({ length: Math.min(200, actors - i) }, (_, j) => {
          const n = i + j;
          const ws = workspaces[n % workspaces.length]!;
          return p.client.js.publish(
            `moe.cmd.bulk.${ws}.agent.a${n}`,
            enc({ id: `c${n}`, type: 'task.cancel' }),
          );
        }),
      );
    const last = await lastCommandSeq();
    await eventually(async () => ((await storedMark()) >= last ? true : undefined), {
      what: 'the running node to move the mark past every command',
      timeoutMs: 60_000,
    });
    await running.stop();

    const subjects = (await p.jsm.streams.info(STREAMS.commands)).state.num_subjects;
    expect(subjects).toBeGreaterThanOrEqual(actors);
    const started = await p.node({ nodeId: 'd4', only: ['none.none'] });
    await started.discovery.ready;
    const s = started.discovery.stats();
    expect(s.startMark).toBe(last);
    expect(s.commandsRead).toBe(0);
    expect(s.registryRead).toBe(2 + workspaces.length); // acme.first, acme.second, bulk.w0..w2
    expect(await registered()).toEqual(['acme.first', 'acme.second', 'bulk.w0', 'bulk.w1', 'bulk.w2']);
    await started.stop();
  }, 120_000);

  it('a deleted workspace leaves the registry', async () => {
    // only acme.first: the bulk workspaces' thousands of actors are not this test's business
    const node = await p.node({ nodeId: 'd5', only: ['acme.first'] });
    try {
      await node.waitForWorkspace('acme', 'first', 60_000);
      const retired = await new Kvm(p.nc).open(KV_BUCKETS.retired);
      await retired.put(
        retirementKey('acme', 'first'),
        JSON.stringify({
          org: 'acme',
          ws: 'first',
          deletedAt: Date.now(),
          deletedBy: 'test',
          state: 'deleting',
        }),
      );
      await eventually(async () => ((await registered()).includes('acme.first') ? undefined : true), {
        what: 'acme.first to leave the registry',
        timeoutMs: 30_000,
      });
      expect(node.hosts.has('acme.first')).toBe(false);
    } finally {
      await node.stop();
    }

    const after = await p.node({ nodeId: 'd6', only: ['none.none'] });
    await after.discovery.ready;
    expect(after.discovery.stats().registryRead).toBe(5); // four entries and acme.first's purge marker
    await after.stop();
  }, 90_000);

  it('the first start on a stream without a registry (an upgrade) reads every command once and registers each workspace', async () => {
    for (let w = 0; w < 300; w++)
      await p.client.js.publish(`moe.cmd.upgrade.u${w}.agent.a1`, enc({ id: `u${w}`, type: 'task.cancel' }));
    // as before issue 14: no registry, no mark
    await p.jsm.streams.purge(`KV_${KV_BUCKETS.workspaces}`);
    await p.jsm.streams.purge(`KV_${KV_BUCKETS.discovery}`);
    const info = await p.jsm.streams.info(STREAMS.commands, { subjects_filter: 'moe.cmd.>' });
    const withCommands = new Set(
      Object.keys(info.state.subjects ?? {}).map((s) => s.split('.').slice(2, 4).join('.')),
    );

    const node = await p.node({ nodeId: 'd7', only: ['none.none'] });
    await node.discovery.ready;
    const s = node.discovery.stats();
    expect(s.startMark).toBe(0);
    expect(s.commandsRead).toBe(info.state.messages);
    expect(s.registered).toBe(withCommands.size);
    expect(await registered()).toEqual([...withCommands].sort());
    await node.stop();
    expect(await storedMark()).toBe(info.state.last_seq);
  }, 90_000);
});
