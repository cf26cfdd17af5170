/**
 * Oversize commands, entries and results end in a bounded time with a terminal outcome — a dead
 * letter with a code, `task.failed` with a code, or a result cut to its cap that the task
 * completes with — never a retry loop; and the actor's next command is applied after them, in order.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWithSeq } from '../../client/index.js';
import {
  codec,
  DeadLetter,
  MAX_COMMAND_BYTES,
  MAX_TOOL_OUTPUT_BYTES,
  STREAMS,
  type ActorAddress,
  type DeadLetter as DeadLetterT,
} from '../../schemas/index.js';
import type { WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

const letters = codec(DeadLetter, 'DeadLetter');
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const ORG = 'ov';
let p: Platform;
let node: WorkspaceNode;
const agent = (ws: string, id: string): ActorAddress => ({ org: ORG, ws, kind: 'agent', id });
const msgId = (a: ActorAddress, id: string) => `${a.org}.${a.ws}.${a.kind}.${a.id}/${id}`;

/** 40 effect results of ~60 KB each (2.4 MB), then a task.cancel, all waiting before any node runs. */
const BACKLOG_RESULTS = 40;
const BACKLOG = agent('backlog', 'g1');

beforeAll(async () => {
  p = await startPlatform();
  for (let i = 0; i < BACKLOG_RESULTS; i++) {
    const cmd = {
      id: `r${i}`,
      type: 'effect.result',
      data: { effectId: `9.${i}`, value: 'v'.repeat(60_000) },
    };
    await p.client.js.publish(`moe.cmd.${ORG}.backlog.agent.g1`, enc(cmd), { msgID: msgId(BACKLOG, cmd.id) });
  }
  await p.client.js.publish(`moe.cmd.${ORG}.backlog.agent.g1`, enc({ id: 'after', type: 'task.cancel' }), {
    msgID: msgId(BACKLOG, 'after'),
  });
  node = await p.node({ nodeId: 'n1' });
}, 60_000);
afterAll(async () => p?.close());

async function deadLettersOn(ws: string): Promise<DeadLetterT[]> {
  const info = await p.jsm.streams.info(STREAMS.deadLetters);
  const out: DeadLetterT[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await p.jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (m && m.subject === `moe.dlq.${ORG}.${ws}`) out.push(letters.decode(m.data));
  }
  return out;
}

const waitForLetter = (ws: string, code: string) =>
  eventually(
    async () => {
      const found = (await deadLettersOn(ws)).find((l) => l.code === code);
      return found;
    },
    { what: `a ${code} dead letter on ${ws}`, timeoutMs: 30_000 },
  );

const turnsOf = (a: ActorAddress) => p.records(`moe.evt.${a.org}.${a.ws}.${a.kind}.${a.id}`);
const waitForTurn = (a: ActorAddress, cmdId: string) =>
  eventually(
    async () => {
      const recs = await turnsOf(a);
      return recs.some((r) => r.record.cmd.id === cmdId) ? recs : undefined;
    },
    { what: `the turn of ${cmdId}`, timeoutMs: 30_000 },
  );
const eventTypes = (r: RecordWithSeq) => r.record.events.map((e) => e.type);

async function hostedFilesDir(ws: string): Promise<string> {
  await p.client.request(
    { org: ORG, ws, kind: 'org', id: 'o' },
    { id: 'create', type: 'org.create', data: { name: ws } },
  );
  return (await node.waitForWorkspace(ORG, ws)).filesDir;
}

describe('oversize commands and results', () => {
  it('dead-letters a schema-valid 1,048,450-byte task.submit at intake and applies the next command', async () => {
    const a = agent('intake', 'big');
    const step = { text: 'x'.repeat(10_400) };
    const cmd = { id: 'huge', type: 'task.submit', data: { prompt: 'p', script: Array(100).fill(step) } };
    const body = JSON.stringify(cmd);
    const padded = { ...cmd, data: { ...cmd.data, prompt: 'p'.repeat(1 + 1_048_450 - body.length) } };
    const bytes = enc(padded);
    expect(bytes.length).toBe(1_048_450);
    await p.client.js.publish(`moe.cmd.${ORG}.intake.agent.big`, bytes, { msgID: msgId(a, 'huge') });
    await p.client.send(a, { id: 'next', type: 'task.cancel' });

    const letter = await waitForLetter('intake', 'MOE_ERR_COMMAND_TOO_LARGE');
    expect(letter.subject).toBe(`moe.cmd.${ORG}.intake.agent.big`);
    const recs = await waitForTurn(a, 'next');
    expect(recs.map((r) => r.record.cmd.id)).toEqual(['next']);
  });

  it('dead-letters a write_file of 300,000 quotes (600 KB escaped) and runs the next task on that agent', async () => {
    const a = agent('quotes', 'w1');
    const script = [
      { toolCalls: [{ name: 'write_file', input: { path: 'q.txt', content: '"'.repeat(300_000) } }] },
    ];
    const cmd = { id: 'quotes', type: 'task.submit', data: { prompt: 'write', script } };
    expect(enc(cmd).length).toBeGreaterThan(MAX_COMMAND_BYTES);
    await p.client.js.publish(`moe.cmd.${ORG}.quotes.agent.w1`, enc(cmd), { msgID: msgId(a, 'quotes') });
    await p.client.send(a, {
      id: 'small',
      type: 'task.submit',
      data: { prompt: 'ok', script: [{ text: 'done' }] },
    });

    await waitForLetter('quotes', 'MOE_ERR_COMMAND_TOO_LARGE');
    const recs = await eventually(
      async () => {
        const r = await turnsOf(a);
        return r.some((x) => eventTypes(x).includes('task.completed')) ? r : undefined;
      },
      { what: 'the next task completed', timeoutMs: 30_000 },
    );
    expect(recs[0]!.record.cmd.id).toBe('small');
  });

  it('fails the task with MOE_ERR_REPLY_TOO_LARGE when a reply carries a write_file past the reply cap', async () => {
    const a = agent('reply', 'w2');
    const script = [
      { toolCalls: [{ name: 'write_file', input: { path: 'q.txt', content: '"'.repeat(100_000) } }] },
    ];
    const { outcome } = await p.client.runTask(
      ORG,
      'reply',
      'w2',
      { prompt: 'write', script },
      { timeoutMs: 30_000 },
    );
    expect(outcome).toMatchObject({ type: 'task.failed', code: 'MOE_ERR_REPLY_TOO_LARGE' });
    await p.client.send(a, { id: 'after', type: 'task.cancel' });
    const recs = await waitForTurn(a, 'after');
    expect(recs[recs.length - 1]!.record.cmd.id).toBe('after');
  });

  it('cuts a read_file of a 987 KB JSON file (1.26 MB escaped) to the output cap and the task completes', async () => {
    const dir = await hostedFilesDir('read');
    const rows: string[] = [];
    for (let i = 0, size = 0; size < 987 * 1024; i++) {
      rows.push(JSON.stringify({ id: i, name: `item-${i}`, tags: ['a', 'b'] }));
      size += rows[i]!.length + 1;
    }
    const json = `[${rows.join(',')}]`;
    expect(JSON.stringify(json).length).toBeGreaterThan(1_200_000);
    writeFileSync(join(dir, 'data.json'), json);
    const script = [
      { toolCalls: [{ name: 'read_file', input: { path: 'data.json' } }] },
      { text: 'read it' },
    ];
    const { outcome, records } = await p.client.runTask(
      ORG,
      'read',
      'r1',
      { prompt: 'read', script },
      { timeoutMs: 30_000 },
    );
    expect(outcome).toMatchObject({ type: 'task.completed' });
    const result = records.find(
      (r) => r.record.cmd.type === 'effect.result' && eventTypes(r).includes('tool.finished'),
    )!;
    const output = (result.record.cmd.data as { value: { output: string } }).value.output;
    expect(output).toContain('truncated by MOE');
    expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThanOrEqual(MAX_TOOL_OUTPUT_BYTES);
    await p.client.send(agent('read', 'r1'), { id: 'after', type: 'task.cancel' });
    await waitForTurn(agent('read', 'r1'), 'after');
  });

  it('completes a task whose 16 parallel reads together exceed max_payload', async () => {
    const dir = await hostedFilesDir('par');
    const calls = Array.from({ length: 16 }, (_, i) => {
      writeFileSync(join(dir, `f${i}.json`), '{"k":"v"}\n'.repeat(40_000)); // 400 KB, 520 KB escaped
      return { name: 'read_file', input: { path: `f${i}.json` } };
    });
    const script = [{ toolCalls: calls }, { text: 'all read' }];
    const { outcome } = await p.client.runTask(
      ORG,
      'par',
      'p1',
      { prompt: 'read all', script },
      { timeoutMs: 30_000 },
    );
    expect(outcome).toMatchObject({ type: 'task.completed' });
    await p.client.send(agent('par', 'p1'), { id: 'after', type: 'task.cancel' });
    const recs = await waitForTurn(agent('par', 'p1'), 'after');
    expect(recs[recs.length - 1]!.record.cmd.id).toBe('after');
  });

  it('splits a grouped backlog of results that exceeds max_payload into several entries, in order', async () => {
    const recs = await waitForTurn(BACKLOG, 'after');
    expect(recs.map((r) => r.record.cmd.id)).toEqual([
      ...Array.from({ length: BACKLOG_RESULTS }, (_, i) => `r${i}`),
      'after',
    ]);
    expect(recs.map((r) => r.record.turn)).toEqual(
      Array.from({ length: BACKLOG_RESULTS + 1 }, (_, i) => i + 1),
    );
    expect(new Set(recs.map((r) => r.seq)).size).toBeGreaterThan(1);
    expect(new Set(recs.map((r) => r.seq)).size).toBeLessThan(BACKLOG_RESULTS + 1); // grouped, not one turn per entry
  });
});
