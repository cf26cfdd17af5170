/**
 * The stream publisher (one reply subscription for every PubAck, used by the gateway) answers as
 * `js.publish` does, against a real nats-server: the stored sequence, `duplicate` for a repeated
 * msg-id, JetStreamApiError for an API error, NoRespondersError with no stream, TimeoutError when
 * nothing answers, ClosedConnectionError for what waits at close — and a burst of parallel
 * publishes each gets its own ack.
 */
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { ClosedConnectionError, NoRespondersError, TimeoutError } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams, publishCommand, streamPublisher } from '../../actors/kernel/index.js';
import { commandMsgId, STREAMS, type ActorAddress } from '../../schemas/index.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
const bytes = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url, noAsyncTraces: true });
  jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm);
});
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

describe('streamPublisher', () => {
  it('answers with the stored sequence, and a repeated msg-id as a duplicate of it', async () => {
    const p = streamPublisher(nc);
    try {
      const subject = 'moe.cmd.sp.w.agent.a1';
      const first = await p.publish(subject, bytes('{"a":1}'), { msgID: 'sp-1' });
      expect(first).toMatchObject({ stream: STREAMS.commands, duplicate: false });
      const stored = await jsm.streams.getMessage(STREAMS.commands, { seq: first.seq });
      expect(stored?.subject).toBe(subject);
      expect(stored?.header.get('Nats-Msg-Id')).toBe('sp-1');
      const again = await p.publish(subject, bytes('{"a":1}'), { msgID: 'sp-1' });
      expect(again).toMatchObject({ seq: first.seq, duplicate: true });
      // the same as js.publish answers
      const viaJs = await jetstream(nc).publish(subject, bytes('{"a":1}'), { msgID: 'sp-1' });
      expect(viaJs.seq).toBe(first.seq);
      expect(p.pending).toBe(0);
    } finally {
      p.close();
    }
  });

  it('is what publishCommand sends a command through', async () => {
    const p = streamPublisher(nc);
    try {
      const to: ActorAddress = { org: 'sp', ws: 'w', kind: 'agent', id: 'a2' };
      const ack = await publishCommand(p, to, { id: 'c1', type: 'task.submit', data: { prompt: 'x' } });
      const stored = await jsm.streams.getMessage(STREAMS.commands, { seq: ack.seq });
      expect(stored?.header.get('Nats-Msg-Id')).toBe(commandMsgId(to, 'c1'));
    } finally {
      p.close();
    }
  });

  it('rejects with JetStreamApiError when the stream refuses the message', async () => {
    const p = streamPublisher(nc);
    try {
      const h = headers();
      h.set('Nats-Expected-Stream', 'NOT_THIS_ONE');
      const err = await p
        .publish('moe.cmd.sp.w.agent.a3', bytes('{}'), { msgID: 'sp-3', headers: h })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JetStreamApiError);
      expect((err as JetStreamApiError).status).toBe(400);
    } finally {
      p.close();
    }
  });

  it('rejects with NoRespondersError when no stream takes the subject', async () => {
    const p = streamPublisher(nc);
    try {
      await expect(p.publish('nostream.here', bytes('{}'), { msgID: 'sp-4' })).rejects.toBeInstanceOf(
        NoRespondersError,
      );
    } finally {
      p.close();
    }
  });

  it('rejects with TimeoutError when nothing answers, and with ClosedConnectionError at close', async () => {
    // a core subscriber that never replies: the server has interest, so no 503 either
    const silentSub = nc.subscribe('silent.>');
    const p = streamPublisher(nc, 200);
    try {
      await expect(p.publish('silent.one', bytes('{}'), { msgID: 'sp-5' })).rejects.toBeInstanceOf(
        TimeoutError,
      );
      const p2 = streamPublisher(nc, 60_000);
      const waiting = p2.publish('silent.two', bytes('{}'), { msgID: 'sp-6' });
      expect(p2.pending).toBe(1);
      p2.close();
      await expect(waiting).rejects.toBeInstanceOf(ClosedConnectionError);
    } finally {
      p.close();
      silentSub.unsubscribe();
    }
  });

  it('throws at once for a payload over max_payload', async () => {
    const p = streamPublisher(nc);
    try {
      const big = new Uint8Array((nc.info?.max_payload ?? 1024 * 1024) + 1);
      await expect(p.publish('moe.cmd.sp.w.agent.a7', big, { msgID: 'sp-7' })).rejects.toThrow();
      expect(p.pending).toBe(0);
    } finally {
      p.close();
    }
  });

  it('gives each of 300 parallel publishes its own ack', async () => {
    const p = streamPublisher(nc);
    try {
      const acks = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          p.publish(`moe.cmd.sp.w.agent.b${i}`, bytes(`{"i":${i}}`), { msgID: `sp-b${i}` }),
        ),
      );
      expect(new Set(acks.map((a) => a.seq)).size).toBe(300);
      for (const [i, ack] of acks.entries()) {
        const m = await jsm.streams.getMessage(STREAMS.commands, { seq: ack.seq });
        expect(m?.subject).toBe(`moe.cmd.sp.w.agent.b${i}`);
      }
    } finally {
      p.close();
    }
  });
});
