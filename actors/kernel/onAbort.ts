/**
 * One abort listener per signal, however many waits share it. A signal that stops a whole kernel
 * is shared by every sleep and wait under it (publishDurably retries while NATS is down, backoffs);
 * a listener each would pass Node's limit of ten and warn `MaxListenersExceededWarning`. Here the
 * first waiter installs a single listener that fans out to a set; each waiter leaves the set when
 * its wait ends.
 *
 * @example
 *   const off = onAbort(signal, () => reject(signal.reason));
 *   ...
 *   off(); // the wait ended another way
 */
const waiters = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts; returns the function that cancels that. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = waiters.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    waiters.set(signal, fresh);
    signal.addEventListener(
      'abort',
      () => {
        const all = [...fresh];
        fresh.clear();
        for (const f of all) f();
      },
      { once: true },
    );
    set = fresh;
  }
  const mine = set;
  mine.add(fn);
  return () => void mine.delete(fn);
}
