/**
 * Commands no workspace kernel can take are dead-lettered, not left with a PubAck and nothing
 * else: subjects with too few or too many tokens or an invalid token (MOE_ERR_BAD_SUBJECT, exactly
 * one letter each however many nodes run), and tenancy commands sent into an ordinary workspace
 * (MOE_ERR_KIND_NOT_IN_WORKSPACE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codec, DeadLetter, STREAMS, type DeadLetter as DeadLetterT } from '../../schemas/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

const letters = codec(DeadLetter, 'DeadLetter');
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
  await p.node({ nodeId: 'n1' });
  await p.node({ nodeId: 'n2' });
}, 60_000);
afterAll(async () => p?.close());

async function allLetters(): Promise<Array<DeadLetterT & { dlq: string }>> {
  const info = await p.jsm.streams.info(STREAMS.deadLetters);
  const out: Array<DeadLetterT & { dlq: string }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await p.jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (m) out.push({ ...letters.decode(m.data), dlq: m.subject });
  }
  return out;
}

describe('bad subjects', () => {
  it('dead-letters commands to subjects with the wrong token count or an invalid token, once each, with two nodes', async () => {
    const cmd = (id: string) => enc({ id, type: 'task.cancel' });
    const bad = {
      'moe.cmd.acme': 'moe.dlq.acme._invalid',
      'moe.cmd.acme.main': 'moe.dlq.acme.main',
      'moe.cmd.acme.quiet.agent': 'moe.dlq.acme.quiet',
      'moe.cmd.acme.quiet.agent.a1.extra': 'moe.dlq.acme.quiet',
      'moe.cmd.bad!org.main.agent.a1': 'moe.dlq._invalid.main',
    };
    let n = 0;
    for (const subject of Object.keys(bad)) await p.client.js.publish(subject, cmd(`c${n++}`));
    // A bad <id> in a workspace that is hosted reaches that workspace's kernel.
    await p.client.js.publish('moe.cmd.acme.live.agent.a1', cmd('good'));
    await p.client.js.publish('moe.cmd.acme.live.agent.bad!id', cmd('badid'));

    const all = await eventually(
      async () => {
        const l = await allLetters();
        return l.length >= 6 ? l : undefined;
      },
      { what: 'six dead letters', timeoutMs: 30_000 },
    );
    for (const [subject, dlq] of Object.entries(bad)) {
      const mine = all.filter((l) => l.subject === subject);
      expect(mine, subject).toHaveLength(1);
      expect(mine[0]).toMatchObject({ code: 'MOE_ERR_BAD_SUBJECT', dlq });
    }
    expect(all.filter((l) => l.subject === 'moe.cmd.acme.live.agent.bad!id')).toMatchObject([
      { code: 'MOE_ERR_BAD_SUBJECT', dlq: 'moe.dlq.acme.live' },
    ]);
    // Still one letter each a while later (two nodes, the kernel and the catch-alls all saw some).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await allLetters()).length).toBe(6);
  });

  it('refuses a tenancy command sent into an ordinary workspace with MOE_ERR_KIND_NOT_IN_WORKSPACE', async () => {
    const register = {
      id: 'reg',
      type: 'user.register',
      data: {
        email: 'a@b.c',
        name: 'A',
        password: { alg: 'scrypt', N: 16384, r: 8, p: 1, salt: 'aa', hash: 'bb' },
      },
    };
    await p.client.js.publish('moe.cmd.acme.main.user.u1', enc(register));
    const letter = await eventually(
      async () => (await allLetters()).find((l) => l.subject === 'moe.cmd.acme.main.user.u1'),
      { what: 'the tenancy command dead-lettered', timeoutMs: 30_000 },
    );
    expect(letter).toMatchObject({ code: 'MOE_ERR_KIND_NOT_IN_WORKSPACE', dlq: 'moe.dlq.acme.main' });
    expect(await p.records('moe.evt.acme.main.user.u1')).toEqual([]);
  });
});
