/**
 * The one journal reader: from a sequence or from now, to the end or live, entry by entry or turn
 * by turn (a group-committed entry splits into its turns), resuming after its consumer is deleted
 * on the server, and leaving no consumer behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalReader, lastJournalEntry, readJournal } from '../../actors/kernel/index.js';
import { eventSubject, STREAMS, type ActorAddress, type JournalEntry } from '../../schemas/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const turn = (n: number) => ({
  turn: n,
  cmd: { id: `c${n}`, type: 'noop', at: 1 },
  state: 's',
  status: 'active' as const,
  events: [{ type: 'e', n }],
  effects: [],
  cancels: [],
});

/** Appends one entry carrying turns `from`..`to` of `a`; resolves with its sequence. */
async function append(a: ActorAddress, from: number, to = from): Promise<number> {
  const turns = [];
  for (let n = from; n <= to; n++) turns.push(turn(n));
  const entry: JournalEntry = {
    v: 2,
    actor: { org: a.org, ws: a.ws, kind: a.kind, id: a.id },
    session: 'ws',
    turns,
  };
  return (await p.client.js.publish(eventSubject(a), JSON.stringify(entry))).seq;
}

const actor = (id: string): ActorAddress => ({ org: 'jr', ws: 'w', kind: 'agent', id });

/** The consumers on MOE_EVT reading `filter`. */
async function consumersOn(filter: string): Promise<string[]> {
  const names: string[] = [];
  for await (const c of p.jsm.consumers.list(STREAMS.events))
    if (c.config.filter_subject === filter) names.push(c.name);
  return names;
}

describe('JournalReader', () => {
  it('reads the entries after sequence N up to the end, then stops and deletes its consumer', async () => {
    const a = actor('from-n');
    const seqs = [await append(a, 1), await append(a, 2), await append(a, 3), await append(a, 4)];
    const got: number[] = [];
    for await (const { seq } of readJournal(p.client.js, eventSubject(a), seqs[1]!)) got.push(seq);
    expect(got).toEqual(seqs.slice(2));
    const all: number[] = [];
    for await (const { seq } of readJournal(p.client.js, eventSubject(a), 0)) all.push(seq);
    expect(all).toEqual(seqs);
    expect(await consumersOn(eventSubject(a))).toEqual([]);
  });

  it('ends at once on a subject with nothing after the start', async () => {
    const a = actor('empty');
    const got: number[] = [];
    for await (const { seq } of readJournal(p.client.js, eventSubject(a), 0)) got.push(seq);
    expect(got).toEqual([]);
    const s = await append(a, 1);
    for await (const { seq } of readJournal(p.client.js, eventSubject(a), s)) got.push(seq);
    expect(got).toEqual([]);
  });

  it('splits a group-committed entry into its turns, marking the last one', async () => {
    const a = actor('split');
    const s1 = await append(a, 1, 3);
    const s2 = await append(a, 4);
    const reader = new JournalReader(p.client.js, {
      filter: eventSubject(a),
      start: { afterSeq: 0 },
      follow: false,
    });
    const got = [];
    for await (const t of reader.turns()) got.push([t.seq, t.rec.turn, t.endsEntry, t.rec.actor.id]);
    expect(got).toEqual([
      [s1, 1, false, 'split'],
      [s1, 2, false, 'split'],
      [s1, 3, true, 'split'],
      [s2, 4, true, 'split'],
    ]);
  });

  it('follows live entries from now, and close() ends the iteration and deletes the consumer', async () => {
    const a = actor('live');
    await append(a, 1);
    const reader = new JournalReader(p.client.js, {
      filter: eventSubject(a),
      start: { from: 'now' },
      follow: true,
    });
    await reader.open();
    const got: number[] = [];
    const reading = (async () => {
      for await (const t of reader.turns()) got.push(t.rec.turn);
    })();
    await append(a, 2);
    await append(a, 3, 4);
    await eventually(() => (got.length === 3 ? true : undefined), { what: 'live turns' });
    await reader.close();
    await reading;
    expect(got).toEqual([2, 3, 4]);
    expect(await consumersOn(eventSubject(a))).toEqual([]);
  });

  it('resumes after the last entry read when its consumer is deleted on the server', async () => {
    const a = actor('resume');
    for (let n = 1; n <= 3; n++) await append(a, n);
    const retries: unknown[] = [];
    const reader = new JournalReader(p.client.js, {
      filter: eventSubject(a),
      start: { afterSeq: 0 },
      follow: true,
      heartbeatMs: 500,
      onRetry: (err) => retries.push(err),
    });
    const got: number[] = [];
    const reading = (async () => {
      for await (const t of reader.turns()) got.push(t.rec.turn);
    })();
    await eventually(() => (got.length === 3 && reader.caughtUp ? true : undefined), { what: 'history' });
    const [name] = await consumersOn(eventSubject(a));
    await p.jsm.consumers.delete(STREAMS.events, name!);
    await append(a, 4);
    await append(a, 5, 6);
    await eventually(() => (got.length === 6 ? true : undefined), { what: 'turns after the delete' });
    await reader.close();
    await reading;
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    expect(retries.length).toBeGreaterThan(0);
    expect(reader.lastSeq).toBeGreaterThan(0);
    expect(await consumersOn(eventSubject(a))).toEqual([]);
  });

  it('passes over entries on skipped subjects undecoded, and reads on past them', async () => {
    const kept = actor('skip-kept');
    const passed = actor('skip-passed');
    const s1 = await append(kept, 1);
    // not a journal entry: decoding it would throw (no onUnreadable), so it must not be decoded
    await p.client.js.publish(eventSubject(passed), 'not json');
    const s2 = await append(passed, 1);
    const s3 = await append(kept, 2);
    const reader = new JournalReader(p.client.js, {
      filter: eventSubject(actor('*')),
      start: { afterSeq: s1 - 1 },
      follow: false,
      skip: (subject) => subject === eventSubject(passed),
    });
    const got: Array<[number, number]> = [];
    for await (const { seq, rec } of reader.turns()) got.push([seq, rec.turn]);
    expect(got).toEqual([
      [s1, 1],
      [s3, 2],
    ]);
    expect(reader.lastSeq).toBe(s3);
    expect(s2).toBeLessThan(s3);
  });

  it('reads the last entry of a subject, or null when it has none', async () => {
    const a = actor('last');
    expect(await lastJournalEntry(p.jsm, eventSubject(a))).toBeNull();
    await append(a, 1);
    const s = await append(a, 2, 3);
    const last = await lastJournalEntry(p.jsm, eventSubject(a));
    expect(last?.seq).toBe(s);
    expect(last?.entry.v === 2 && last.entry.turns.map((t) => t.turn)).toEqual([2, 3]);
  });
});
