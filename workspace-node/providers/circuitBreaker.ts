/**
 * A circuit breaker per provider/model: after `failureThreshold` consecutive failures it opens
 * and refuses calls for `cooldownMs`; then it lets exactly one probe through (half-open). The
 * probe's success closes it, its failure re-opens it for another cooldown. The router skips
 * targets whose breaker refuses and falls back along the profile's chain.
 *
 * Breakers are per process on purpose: they protect this node from waiting on a failing
 * upstream, and every node learns the same lesson from its own failures within a few calls.
 *
 *   closed ──N consecutive failures──▶ open ──cooldown──▶ half-open ──probe ok──▶ closed
 *                                        ▲                    │
 *                                        └────probe failed────┘
 */
import { systemClock, type Clock } from '../../actors/kernel/index.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = { failureThreshold: 5, cooldownMs: 30_000 };

export interface BreakerSnapshot {
  readonly key: string;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** epoch ms at which an open breaker admits a probe */
  readonly retryAt: number | null;
}

export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;

  constructor(
    readonly key: string,
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {}

  get state(): BreakerState {
    if (this.#state === 'open' && this.clock.now() >= this.#openedAt + this.options.cooldownMs)
      return 'half-open';
    return this.#state;
  }

  /** Asks to make a call; true means go (and report the outcome with onSuccess/onFailure/release). */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#probeInFlight) return false;
    this.#state = 'half-open';
    this.#probeInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#probeInFlight = false;
  }

  onFailure(): void {
    this.#failures++;
    this.#probeInFlight = false;
    if (this.#state === 'half-open' || this.#failures >= this.options.failureThreshold) {
      this.#state = 'open';
      this.#openedAt = this.clock.now();
    }
  }

  /** The call ended without saying anything about the provider (cancelled, a bad request). */
  release(): void {
    this.#probeInFlight = false;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      key: this.key,
      state,
      consecutiveFailures: this.#failures,
      retryAt: state === 'closed' ? null : this.#openedAt + this.options.cooldownMs,
    };
  }
}

/** One breaker per `provider/model`, created on first use. */
export class BreakerRegistry {
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {}

  get(provider: string, model: string): CircuitBreaker {
    const key = `${provider}/${model}`;
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(key, this.options, this.clock);
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.#breakers.values()].map((b) => b.snapshot());
  }
}
