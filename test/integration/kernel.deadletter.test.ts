/**
 * Bad input gets a clear error and nothing is lost: malformed or unknown commands land in MOE_DLQ
 * with a stable code and reason (and the JSON path for schema violations), and the node goes on
 * applying good commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codec,
  DeadLetter,
  STREAMS,
  workspaceConsumerName,
  type DeadLetter as DeadLetterT,
} from '../../schemas/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

const letters = codec(DeadLetter, 'DeadLetter');
let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
  await p.node({ nodeId: 'n1' });
});
afterAll(async () => p?.close());

async function deadLetters(): Promise<DeadLetterT[]> {
  const info = await p.jsm.streams.info(STREAMS.deadLetters);
  const out: DeadLetterT[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await p.jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (m) out.push(letters.decode(m.data));
  }
  return out;
}

describe('dead letters', () => {
  it('sends malformed and unknown commands to MOE_DLQ with their reason and keeps serving', async () => {
    const js = p.client.js;
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    await js.publish('moe.cmd.bad.ws.org.o1', enc('{not json'), { msgID: 'm1' });
    await js.publish('moe.cmd.bad.ws.org.o1', enc({ id: 'x1', type: 'org.explode' }), { msgID: 'm2' });
    await js.publish('moe.cmd.bad.ws.org.o1', enc({ id: 'x2', type: 'org.create', data: { name: 42 } }), {
      msgID: 'm3',
    });
    await js.publish('moe.cmd.bad.ws.robot.r1', enc({ id: 'x3', type: 'robot.walk' }), { msgID: 'm4' });
    await js.publish('moe.cmd.bad.ws.org.o1', enc({ id: 'has space', type: 'org.create' }), { msgID: 'm5' });
    const done = await p.client.request(
      { org: 'bad', ws: 'ws', kind: 'org', id: 'o1' },
      { id: 'good', type: 'org.create', data: { name: 'fine' } },
    );
    expect(done.record.events.map((e) => e.type)).toEqual(['org.created']);

    const dlq = await eventually(
      async () => {
        const l = await deadLetters();
        return l.length >= 5 ? l : undefined;
      },
      { what: '5 dead letters' },
    );
    const byPayload = (s: string) => dlq.find((l) => l.payload.includes(s))!;
    expect(byPayload('{not json')).toMatchObject({
      code: 'MOE_ERR_BAD_COMMAND',
      subject: 'moe.cmd.bad.ws.org.o1',
    });
    expect(byPayload('{not json').reason).toContain('not valid JSON');
    expect(byPayload('org.explode')).toMatchObject({ code: 'MOE_ERR_UNKNOWN_COMMAND' });
    expect(byPayload('"name":42')).toMatchObject({ code: 'MOE_ERR_BAD_COMMAND', path: '/name' });
    expect(byPayload('robot.walk')).toMatchObject({ code: 'MOE_ERR_UNKNOWN_KIND' });
    expect(byPayload('has space')).toMatchObject({ code: 'MOE_ERR_BAD_COMMAND', path: '/id' });
    // Nothing is left unacknowledged on the workspace consumer.
    await eventually(
      async () => {
        const ci = await p.jsm.consumers.info(STREAMS.commands, workspaceConsumerName('bad', 'ws'));
        return ci.num_ack_pending + ci.num_pending === 0 ? true : undefined;
      },
      { what: 'every command acknowledged' },
    );
  });

  it('journals a rejection, not a silent drop, when a command is not accepted in the current state', async () => {
    const org = { org: 'bad', ws: 'ws2', kind: 'org', id: 'o2' };
    const r = await p.client.request(org, { id: 'early', type: 'workspace.add', data: { workspace: 'w' } });
    expect(r.record.events[0]).toMatchObject({
      type: 'command.rejected',
      command: 'workspace.add',
      state: 'new',
    });
    expect(r.record.state).toBe('new');
  });
});
