/**
 * The node's door to the one KV compare-and-set (actors/kernel/kvCas.ts), for its provider rate
 * windows and org budgets: the same update, with failures named in the node's codes: KV not
 * answering → MOE_ERR_LIMITS_UNAVAILABLE, every attempt lost → MOE_ERR_LIMITS_CONTENDED.
 */
import type { KV } from '@nats-io/kv';
import { kvCas, KvCasContended, type KvCasOptions } from '../../actors/kernel/index.js';
import { isMoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';

export type CasOptions = Pick<KvCasOptions, 'maxAttempts' | 'random'>;

/**
 * Applies `next` to the key's current value (undefined when absent) until the write wins.
 * `next` may throw (a MoeError) to refuse, or return `current` itself for no change; nothing is
 * written then.
 *
 * @example await casUpdate<Counter>(kv, 'rate.anthropic', (cur) => ({ n: (cur?.n ?? 0) + 1 }));
 */
export async function casUpdate<T>(
  kv: KV,
  key: string,
  next: (current: T | undefined) => T,
  options: CasOptions = {},
): Promise<T> {
  try {
    return await kvCas(kv, key, next, options);
  } catch (err) {
    if (isMoeError(err)) throw err;
    if (err instanceof KvCasContended) throw errors.LIMITS_CONTENDED(`${key} after ${err.attempts} attempts`);
    throw errors.LIMITS_UNAVAILABLE(key, { cause: err });
  }
}
