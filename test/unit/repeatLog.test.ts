/**
 * A failure that repeats is logged once in full (with its stack), then only counted: a summary line
 * at most once per interval, and a last one when it clears — never a stack a second.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isPowerOfTwo, RepeatLog } from '../../actors/kernel/repeatLog.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, stream) };
}

describe('RepeatLog', () => {
  it('logs the first failure with its stack, counts the repeats, summarizes each minute and on recovery', async () => {
    const { lines, log } = capture();
    let now = 0;
    const repeats = new RepeatLog(log, () => now, 60_000);
    const err = new Error('journal append timed out');
    for (let i = 0; i < 600; i++) {
      repeats.warn(
        'org.ws.agent.a1',
        { err, actor: 'org.ws.agent.a1' },
        'turn interrupted, will be redelivered',
      );
      now += 1_000; // once a second for ten minutes
    }
    repeats.clear('org.ws.agent.a1');
    await new Promise((r) => setImmediate(r));
    const withStack = lines.filter((l) => (l.err as { stack?: string } | undefined)?.stack);
    expect(withStack).toHaveLength(1);
    expect(lines.length).toBeLessThanOrEqual(12); // 1 full + ~10 summaries + 1 recovery, not 600
    expect(repeats.repeats).toBe(599);
    expect(lines[lines.length - 1]).toMatchObject({ repeats: 599, msg: 'recovered after repeated failures' });
  });
});

describe('isPowerOfTwo (logs that thin out)', () => {
  it('logs the 1st, 2nd, 4th, 8th, … repeat and nothing else', () => {
    const logged = Array.from({ length: 40 }, (_, i) => i).filter(isPowerOfTwo);
    expect(logged).toEqual([1, 2, 4, 8, 16, 32]);
  });
});
