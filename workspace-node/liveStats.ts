/**
 * A node's live figures for its heartbeat (schemas/nodeHeartbeat.ts `NodeLiveStats`): turns per
 * second and turn latency p50/p99, process memory, and per provider/model the attempts, errors,
 * 429s, skips, fallbacks and attempt latency — all over the last {@link LIVE_WINDOW_MS}. Fed by
 * the same two observers as the Prometheus metrics (metrics.ts), so the supervisor and the console
 * read them from the heartbeat without scraping every node. Samples older than the window are
 * dropped as new ones come in and when a report is made; at most {@link MAX_SAMPLES} are kept per
 * series (the newest), so memory stays bounded under load.
 */
import type { NodeLiveStats, ProviderLiveReport } from '../schemas/index.js';
import type { AttemptOutcome, BreakerSnapshot } from './providers/index.js';

export const LIVE_WINDOW_MS = 60_000;
export const MAX_SAMPLES = 4096;
const RATE_LIMITED = 'MOE_ERR_PROVIDER_RATE_LIMITED';

/** A time-ordered window of samples `[at, value]`. */
class Window {
  private at: number[] = [];
  private values: number[] = [];
  constructor(private readonly windowMs: number) {}
  add(at: number, value: number): void {
    this.at.push(at);
    this.values.push(value);
    if (this.at.length > MAX_SAMPLES * 2) this.keepFrom(this.at.length - MAX_SAMPLES);
  }
  /** the values still in the window at `now` */
  current(now: number): number[] {
    const cut = now - this.windowMs;
    let i = 0;
    while (i < this.at.length && this.at[i]! < cut) i++;
    if (i > 0) this.keepFrom(i);
    return this.values.slice(-MAX_SAMPLES);
  }
  private keepFrom(i: number): void {
    this.at = this.at.slice(i);
    this.values = this.values.slice(i);
  }
}

/** The `q` quantile (0..1) of `xs` (nearest rank); null when empty. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[rank]! * 100) / 100;
}

interface ProviderSeries {
  readonly provider: string;
  readonly model: string;
  /** outcome codes: 0 ok, 1 error, 2 rate limited (an error too), 3 skipped, 4 fallback served */
  readonly events: Window;
  readonly latencies: Window;
}

export class LiveStats {
  private readonly turns: Window;
  private readonly turnLatencies: Window;
  private readonly providers = new Map<string, ProviderSeries>();
  private readonly started: number;

  constructor(
    private readonly now: () => number = Date.now,
    readonly windowMs = LIVE_WINDOW_MS,
  ) {
    this.turns = new Window(windowMs);
    this.turnLatencies = new Window(windowMs);
    this.started = now();
  }

  /** a journal entry of `turns` turns; the latency of each command it carried */
  entry(turns: number, latenciesMs: readonly number[]): void {
    const at = this.now();
    this.turns.add(at, turns);
    for (const ms of latenciesMs) this.turnLatencies.add(at, ms);
  }

  attempt(provider: string, model: string, outcome: AttemptOutcome, seconds: number, code?: string): void {
    const s = this.series(provider, model);
    const at = this.now();
    const kind = outcome === 'ok' ? 0 : outcome === 'skipped' ? 3 : code === RATE_LIMITED ? 2 : 1;
    s.events.add(at, kind);
    if (outcome !== 'skipped') s.latencies.add(at, seconds * 1000);
  }

  fallback(provider: string, model: string): void {
    this.series(provider, model).events.add(this.now(), 4);
  }

  report(breakers: readonly BreakerSnapshot[]): NodeLiveStats {
    const now = this.now();
    const span = Math.max(1000, Math.min(this.windowMs, now - this.started));
    const turns = this.turns.current(now).reduce((a, b) => a + b, 0);
    const lat = this.turnLatencies.current(now);
    const mem = process.memoryUsage();
    const states = new Map(breakers.map((b) => [b.key, b.state]));
    const providers: ProviderLiveReport[] = [];
    const keys = new Set([...this.providers.keys(), ...states.keys()]);
    for (const key of [...keys].sort()) {
      const slash = key.indexOf('/');
      const s = this.providers.get(key);
      const ev = s ? s.events.current(now) : [];
      const ms = s ? s.latencies.current(now) : [];
      const count = (k: number) => ev.filter((e) => e === k).length;
      providers.push({
        provider: s?.provider ?? key.slice(0, slash),
        model: s?.model ?? key.slice(slash + 1),
        breaker: states.get(key) ?? 'closed',
        attempts: count(0) + count(1) + count(2),
        errors: count(1) + count(2),
        rateLimited: count(2),
        skipped: count(3),
        fallbacks: count(4),
        p50Ms: quantile(ms, 0.5),
        p99Ms: quantile(ms, 0.99),
      });
    }
    return {
      windowMs: this.windowMs,
      turnsPerSec: Math.round((turns / (span / 1000)) * 1000) / 1000,
      turnP50Ms: quantile(lat, 0.5),
      turnP99Ms: quantile(lat, 0.99),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      providers,
    };
  }

  private series(provider: string, model: string): ProviderSeries {
    const key = `${provider}/${model}`;
    let s = this.providers.get(key);
    if (!s)
      this.providers.set(
        key,
        (s = { provider, model, events: new Window(this.windowMs), latencies: new Window(this.windowMs) }),
      );
    return s;
  }
}
