/**
 * An actor's commands keep their order while one of them is retried: when an append fails for a
 * passing reason (here MOE_EVT refuses messages over a size for a while), the failed command is
 * redelivered and the actor's later command is held back until the earlier one is applied — and
 * the repeated failure is logged once with its stack, then counted.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../../schemas/index.js';
import type { WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
let node: WorkspaceNode;
const lines: Array<Record<string, unknown>> = [];
beforeAll(async () => {
  p = await startPlatform();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  node = await p.node({ nodeId: 'n1', logger: pino({ level: 'warn' }, stream) });
}, 60_000);
afterAll(async () => p?.close());

async function setMaxMsgSize(bytes: number): Promise<void> {
  const info = await p.jsm.streams.info(STREAMS.events);
  await p.jsm.streams.update(STREAMS.events, { ...info.config, max_msg_size: bytes });
}

describe('order under retries', () => {
  it('applies a later command only after the earlier one that was being retried', async () => {
    const a = { org: 'ord', ws: 'w', kind: 'agent', id: 'a1' };
    await p.client.request(a, { id: 'warm', type: 'task.cancel' }); // hosted, actor active
    await setMaxMsgSize(2_000);
    try {
      await p.client.send(a, {
        id: 'first',
        type: 'task.submit',
        data: { prompt: 'p'.repeat(3_000), script: [{ text: 'done' }] },
      });
      await new Promise((r) => setTimeout(r, 300));
      await p.client.send(a, { id: 'second', type: 'task.cancel' });
      await new Promise((r) => setTimeout(r, 3_000)); // 'first' fails about three times meanwhile
    } finally {
      await setMaxMsgSize(-1);
    }
    const recs = await eventually(
      async () => {
        const r = await p.records('moe.evt.ord.w.agent.a1');
        return r.some((x) => x.record.cmd.id === 'second') && r.some((x) => x.record.cmd.id === 'first')
          ? r
          : undefined;
      },
      { what: 'both commands applied', timeoutMs: 30_000 },
    );
    const ids = recs.map((r) => r.record.cmd.id).filter((id) => id === 'first' || id === 'second');
    expect(ids).toEqual(['first', 'second']);

    const kernel = node.hosts.get('ord.w')!.kernel;
    expect(kernel.stats.heldBack).toBeGreaterThan(0);
    const failures = lines.filter((l) => String(l.msg).startsWith('turn interrupted'));
    expect(failures.filter((l) => (l.err as { stack?: string } | undefined)?.stack)).toHaveLength(1);
  });
});
