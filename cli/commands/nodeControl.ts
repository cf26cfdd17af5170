/**
 * `moe node drain <id>`, `moe node undrain <id>` and `moe node list`: a running node's placement
 * from the command line. Drain asks the node over `moe.ctl.node.<id>.drain` (schemas/nodeControl.ts)
 * and follows its heartbeat in KV `moe_nodes` until it hosts nothing, printing each change; it
 * exits 0 then (or when the node stopped meanwhile), 1 with MOE_ERR_DRAIN_TIMEOUT when `--timeout`
 * passes first. The node stays up, drained, until it is restarted or undrained.
 */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { KV_BUCKETS, nodeControlSubject, type NodeControlReply } from '../../schemas/index.js';
import { errors } from '../errors.js';

const POLL_MS = 250;
/** heartbeat keys that are not nodes (the supervisors' leader record) */
const SUPERVISOR_KEY_PREFIX = '_supervisor.';

interface Heartbeat {
  node?: string;
  at?: number;
  workspaces?: string[];
  draining?: boolean;
}

async function natsConnect(url: string): Promise<NatsConnection> {
  return connect({ servers: url, timeout: 3000 }).catch((cause: unknown) => {
    throw errors.NATS_UNREACHABLE(url, { cause });
  });
}

async function ask(nc: NatsConnection, node: string, verb: 'drain' | 'undrain'): Promise<NodeControlReply> {
  try {
    const m = await nc.request(nodeControlSubject(node, verb), '{}', { timeout: 5000 });
    return m.json<NodeControlReply>();
  } catch (cause) {
    throw errors.NODE_UNREACHABLE(`node ${node} did not answer ${verb} (is it running? moe node list)`, {
      cause,
    });
  }
}

export async function nodeDrainCommand(
  a: { natsUrl: string; nodeId: string; timeoutMs: number; json: boolean },
  print: (s: string) => void,
): Promise<number> {
  const nc = await natsConnect(a.natsUrl);
  try {
    const started = Date.now();
    const first = await ask(nc, a.nodeId, 'drain');
    if (!a.json) print(`draining ${first.node}: ${first.workspaces.length} workspace(s)`);
    const nodes = await new Kvm(nc).open(KV_BUCKETS.nodes);
    let last = first.workspaces.length;
    for (;;) {
      const e = await nodes.get(a.nodeId).catch(() => null);
      const hb = e && e.operation === 'PUT' ? e.json<Heartbeat>() : null;
      const left = hb?.workspaces?.length ?? 0;
      if (!hb || (hb.draining === true && left === 0)) {
        const ms = Date.now() - started;
        if (a.json) print(JSON.stringify({ node: a.nodeId, drained: true, ms, stopped: !hb }));
        else print(`${a.nodeId} drained in ${ms} ms${hb ? '' : ' (the node stopped)'}`);
        return 0;
      }
      if (left !== last && !a.json) print(`  ${left} workspace(s) left`);
      last = left;
      if (Date.now() - started > a.timeoutMs)
        throw errors.DRAIN_TIMEOUT(`${a.nodeId} still hosts ${left} workspace(s) after ${a.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

export async function nodeUndrainCommand(
  a: { natsUrl: string; nodeId: string; json: boolean },
  print: (s: string) => void,
): Promise<number> {
  const nc = await natsConnect(a.natsUrl);
  try {
    const r = await ask(nc, a.nodeId, 'undrain');
    print(a.json ? JSON.stringify(r) : `${r.node} takes workspaces again (${r.workspaces.length} hosted)`);
    return 0;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

export async function nodeListCommand(
  a: { natsUrl: string; json: boolean },
  print: (s: string) => void,
): Promise<number> {
  const nc = await natsConnect(a.natsUrl);
  try {
    const kv = await new Kvm(nc).open(KV_BUCKETS.nodes);
    const rows: Array<{ node: string; ageMs: number; workspaces: number; draining: boolean }> = [];
    for await (const key of await kv.keys()) {
      if (key.startsWith(SUPERVISOR_KEY_PREFIX)) continue;
      const e = await kv.get(key);
      if (!e || e.operation !== 'PUT') continue;
      const hb = e.json<Heartbeat>();
      rows.push({
        node: key,
        ageMs: Math.max(0, Date.now() - (hb.at ?? 0)),
        workspaces: hb.workspaces?.length ?? 0,
        draining: hb.draining === true,
      });
    }
    rows.sort((x, y) => x.node.localeCompare(y.node));
    if (a.json) print(JSON.stringify(rows));
    else {
      print('node\tworkspaces\tdraining\theartbeat age (ms)');
      for (const r of rows) print(`${r.node}\t${r.workspaces}\t${r.draining ? 'yes' : 'no'}\t${r.ageMs}`);
    }
    return 0;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
