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
  /** one attempt at `provider`/`model`; `seconds` is how long it ran (0 when skipped) */
  attempt(provider: string, model: string, outcome: AttemptOutcome, seconds: number): void;
  /** the tokens a served reply used and what it cost us (µ$) */
  usage(provider: string, model: string, usage: Usage, costMicros: number): void;
}
