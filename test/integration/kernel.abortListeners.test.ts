/**
 * A node restart with many actors whose effects are still pending re-drives them all at once. No
 * AbortSignal may collect a listener per waiting effect or sleep (Node warns
 * `MaxListenersExceededWarning … abort listeners` past ten): each wait removes its listener when it
 * ends, and the kernel's stop reaches running effects through one owner, not one listener each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EffectHandler } from '../../actors/kernel/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
beforeAll(async () => {
  p = await startPlatform();
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await p?.close();
});

/** actors whose LLM call is waiting, on the node that runs it */
let waiting = new Set<string>();
/** An LLM call that never answers: it waits until the kernel aborts it. */
const hanging: EffectHandler = ({ address, signal }) =>
  new Promise((_, reject) => {
    waiting.add(address.id);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });

describe('abort listeners', () => {
  it('a node restart re-driving many pending effects emits no MaxListenersExceededWarning', async () => {
    const agents = 24;
    const opts = { only: ['al.w'], extraEffects: new Map([['llm.call', hanging]]), leaseMs: 1500 };
    const first = await p.node({ ...opts, nodeId: 'al-1' });
    await Promise.all(
      Array.from({ length: agents }, (_, i) =>
        p.client.send(
          { org: 'al', ws: 'w', kind: 'agent', id: `a${i}` },
          { id: `t${i}`, type: 'task.submit', data: { prompt: `task ${i}` } },
        ),
      ),
    );
    await eventually(() => (waiting.size >= agents ? true : undefined), {
      timeoutMs: 30_000,
      what: `${agents} effects started`,
    });
    await first.stop();
    waiting = new Set();

    const second = await p.node({ ...opts, nodeId: 'al-2' });
    await eventually(() => (waiting.size >= agents ? true : undefined), {
      timeoutMs: 30_000,
      what: `${agents} effects re-driven after the restart`,
    });
    await second.stop();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String)).toEqual([]);
  });
});
