/**
 * The gateway's one shared acceptance follower (gateway/acceptance.ts): parallel commands to many
 * actors, and to one actor, each get the turn that applied their own command, with its MOE_EVT
 * sequence, and no request opens a journal consumer of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { STREAMS } from '../../schemas/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';
import { eventually } from '../harness/index.js';

let stack: Stack;
let org: string;
let ws: string;
let project: string;

beforeAll(async () => {
  stack = await startStack();
  const { auth } = await registerAndLogin(stack.gw, 'accept');
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'A' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  await eventually(() => (stack.gw.ctx.tenancy.projects.has(project) ? true : undefined));
});
afterAll(async () => {
  await stack?.stop();
});

/** Consumers on MOE_EVT reading one actor's subject (what a per-request reader would open). */
async function perActorConsumers(): Promise<number> {
  let n = 0;
  for await (const c of stack.gw.ctx.bus.jsm.consumers.list(STREAMS.events))
    if (!/[*>]/.test(c.config.filter_subject ?? '>')) n++;
  return n;
}

const agent = () => ({ org, ws, kind: 'agent', id: `${ws}-${project}-t${randomBytes(8).toString('hex')}` });
const submit = { prompt: 'hi', script: [{ text: 'ok' }], project: '' };

describe('the shared acceptance follower', () => {
  it('parallel commands to many actors each get their own turn, with its sequence', async () => {
    const before = await perActorConsumers();
    const sent = Array.from({ length: 40 }, (_, i) => ({ addr: agent(), id: `acc-${process.pid}-${i}` }));
    const turns = await Promise.all(
      sent.map(({ addr, id }) =>
        stack.gw.ctx.bus.request(addr, 'task.submit', { ...submit, project }, { id }),
      ),
    );
    turns.forEach((t, i) => {
      expect(t.rec.cmd.id).toBe(sent[i]!.id);
      expect(t.rec.actor).toEqual(sent[i]!.addr);
      expect(t.seq).toBeGreaterThan(0);
    });
    // the sequences are the entries' own: the actor's last entry is at or after its accepting turn
    for (const [i, t] of turns.entries()) {
      const last = await stack.gw.ctx.bus.lastRecord(sent[i]!.addr);
      expect(last!.seq).toBeGreaterThanOrEqual(t.seq);
    }
    expect(await perActorConsumers()).toBeLessThanOrEqual(before);
  });

  it('parallel commands to one actor each get the turn of their own command', async () => {
    const addr = agent();
    const first = await stack.gw.ctx.bus.request(
      addr,
      'task.submit',
      { ...submit, project },
      { id: 'one-0' },
    );
    expect(first.rec.cmd.id).toBe('one-0');
    const ids = Array.from({ length: 10 }, (_, i) => `one-cancel-${i}`);
    const turns = await Promise.all(
      ids.map((id) => stack.gw.ctx.bus.request(addr, 'task.cancel', {}, { id, session: first.rec.session })),
    );
    expect(turns.map((t) => t.rec.cmd.id)).toEqual(ids);
    // each its own entry or a later turn of a shared entry: sequences never go below the submit's
    for (const t of turns) expect(t.seq).toBeGreaterThanOrEqual(first.seq);
  });
});
