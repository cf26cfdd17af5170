/**
 * Sleeps that share one stop signal (the kernel's) add one abort listener to it between them, not
 * one each: fifty concurrent sleeps stay under Node's limit of ten, and aborting still wakes them all.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../actors/kernel/index.js';

describe('systemClock.sleep', () => {
  it('many concurrent sleeps on one signal share a single abort listener and all wake on abort', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const stop = new AbortController();
      const short = Array.from({ length: 20 }, () => systemClock.sleep(1, stop.signal));
      const long = Array.from({ length: 50 }, () => systemClock.sleep(60_000, stop.signal));
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
      await Promise.all(short);
      stop.abort(new Error('stopping'));
      const results = await Promise.allSettled(long);
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
