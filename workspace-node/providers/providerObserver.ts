/**
 * What the provider router reports for a node's metrics (workspace-node/metrics.ts): each attempt
 * at a provider/model with its outcome and duration, and the usage and cost of each served reply.
 * Called once per attempt and once per reply (never per streamed delta); must be cheap and must
 * not throw.
 */
import type { Usage } from '../../schemas/index.js';

/** `ok` served, `error` failed (retried or fallen back from), `skipped` not tried (circuit open, rate limit) */
export type AttemptOutcome = 'ok' | 'error' | 'skipped';

export interface ProviderObserver {
  /**
   * one attempt at `provider`/`model`; `seconds` is how long it ran (0 when skipped); `code` the
   * classified error of a failed attempt (`MOE_ERR_PROVIDER_RATE_LIMITED`: a 429)
   */
  attempt(provider: string, model: string, outcome: AttemptOutcome, seconds: number, code?: string): void;
  /** a reply served by `provider`/`model`, a target after the first of its profile's chain */
  fallback?(provider: string, model: string): void;
  /** the tokens a served reply used and what it cost us (µ$) */
  usage(provider: string, model: string, usage: Usage, costMicros: number): void;
}
