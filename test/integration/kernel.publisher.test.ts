/**
 * The kernel's publisher never loops on a command that can never be stored: an effect result too
 * large for MOE_CMD goes out as `effect.failed` with MOE_ERR_RESULT_TOO_LARGE (so the actor hears
 * how its effect ended), and any other oversize command is given up at once, with a count.
 * The one command publisher below it checks the envelope before sending and dedupes by msg-id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandPublisher,
  CommandTooLargeError,
  encodeCommandEnvelope,
  envelopeCodec,
  publishCommand,
  systemClock,
} from '../../actors/kernel/index.js';
import {
  commandMsgId,
  commandSubject,
  SchemaError,
  STREAMS,
  type ActorAddress,
} from '../../schemas/index.js';
import { silent, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still publishing after ${ms} ms`)), ms),
    ),
  ]);

describe('publishDurably and oversize commands', () => {
  it('sends an effect result too large to store as effect.failed with MOE_ERR_RESULT_TOO_LARGE', async () => {
    const to: ActorAddress = { org: 'pub', ws: 'w', kind: 'agent', id: 'a1' };
    const publisher = new CommandPublisher(p.client.js, systemClock, new AbortController().signal, silent);
    const value = { callId: 'c', output: '"'.repeat(200_000), isError: false }; // 400 KB escaped
    await within(
      8_000,
      publisher.publishDurably(to, { id: 'fx:1', type: 'effect.result', data: { effectId: '1.0', value } }),
    );
    const stored = await p.jsm.streams.getMessage(STREAMS.commands, { last_by_subj: commandSubject(to) });
    expect(envelopeCodec.decode(stored!.data)).toMatchObject({
      id: 'fx:1',
      type: 'effect.failed',
      data: { effectId: '1.0', error: { code: 'MOE_ERR_RESULT_TOO_LARGE' } },
    });
  });

  it('gives up at once on any other command over max_payload instead of retrying it forever', async () => {
    const to: ActorAddress = { org: 'pub', ws: 'w', kind: 'agent', id: 'a2' };
    const publisher = new CommandPublisher(p.client.js, systemClock, new AbortController().signal, silent);
    const data = { prompt: 'p', script: [{ text: 'x'.repeat(1_100_000) }] };
    await within(8_000, publisher.publishDurably(to, { id: 'huge', type: 'task.submit', data }));
    expect(publisher.refused).toBe(1);
    const stored = await p.jsm.streams
      .getMessage(STREAMS.commands, { last_by_subj: commandSubject(to) })
      .catch(() => null);
    expect(stored).toBeNull();
  });
});

describe('encodeCommandEnvelope and publishCommand', () => {
  it('refuses an envelope its schema refuses, one JSON cannot encode, and one over the limit', () => {
    expect(() => encodeCommandEnvelope({ id: 'has space', type: 'org.create' })).toThrow(SchemaError);
    expect(() => encodeCommandEnvelope({ id: 'c', type: 'Bad Type' })).toThrow(SchemaError);
    let deep: unknown[] = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(() => encodeCommandEnvelope({ id: 'c', type: 'task.submit', data: { deep } })).toThrow(
      SchemaError,
    );
    const big = { id: 'c', type: 'task.submit', data: { prompt: 'x'.repeat(2000) } };
    expect(() => encodeCommandEnvelope(big, 1000)).toThrow(CommandTooLargeError);
    expect(encodeCommandEnvelope(big).bytes.byteLength).toBeGreaterThan(2000);
  });

  it('publishes with Nats-Msg-Id and the given headers, and JetStream drops a repeat', async () => {
    const to: ActorAddress = { org: 'pub', ws: 'w', kind: 'org', id: 'o1' };
    const cmd = { id: 'once', type: 'org.create', data: { name: 'x' } };
    const first = await publishCommand(p.client.js, to, cmd, { headers: { 'Moe-Trace': 't1' } });
    const again = await publishCommand(p.client.js, to, encodeCommandEnvelope(cmd));
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    const stored = await p.jsm.streams.getMessage(STREAMS.commands, { seq: first.seq });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(commandMsgId(to, 'once'));
    expect(stored?.header.get('Moe-Trace')).toBe('t1');
    expect(envelopeCodec.decode(stored!.data)).toEqual(cmd);
  });
});
