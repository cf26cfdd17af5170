/**
 * What a provider throws: always a classified MoeError. When the request's signal aborted, its
 * `reason` decides — the router aborts with a PROVIDER_TIMEOUT MoeError when its per-attempt
 * timeout fires, anything else is the caller cancelling (LLM_CANCELLED, never retried).
 */
import { isMoeError, type MoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { classifyProviderError } from './classify.js';
import type { ChatRequest, Provider, ProviderEvent } from './provider.js';

export function providerFailure(
  err: unknown,
  ctx: { provider: string; model: string; signal?: AbortSignal | undefined },
): MoeError {
  // Abort first: on abort an SDK stream may simply end, and the "stream ended early" error that
  // follows is a symptom, not the cause.
  if (ctx.signal?.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (isMoeError(reason)) return reason;
    return errors.LLM_CANCELLED(`${ctx.provider}/${ctx.model}`, { cause: err });
  }
  if (isMoeError(err)) return err;
  return classifyProviderError(err, { provider: ctx.provider, model: ctx.model });
}

/**
 * A networked provider from its two call styles: streamed (default) or whole-response. Whatever
 * either throws leaves as a classified MoeError, so the router's retry policy sees one error model.
 */
export function networkProvider(
  name: string,
  streaming: boolean,
  calls: {
    streamed(req: ChatRequest): AsyncIterable<ProviderEvent>;
    whole(req: ChatRequest): AsyncIterable<ProviderEvent>;
  },
): Provider {
  return {
    name,
    offline: false,
    async *stream(req: ChatRequest): AsyncIterable<ProviderEvent> {
      try {
        yield* streaming ? calls.streamed(req) : calls.whole(req);
      } catch (err) {
        throw providerFailure(err, { provider: name, model: req.model, signal: req.signal });
      }
    },
  };
}
