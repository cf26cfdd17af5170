/**
 * The console's small time series (throughput, latency, cost), sampled by the gateway every
 * `intervalMs` (`MOE_CONSOLE_SERIES_MS`, default {@link DEFAULT_SERIES_MS}) whether or not a page
 * is open, and kept for the last {@link SERIES_POINTS} samples in memory and in the
 * `MOE_CONSOLE_SERIES` stream (seriesStore.ts), from which a gateway that starts reads them back:
 * the charts survive a restart, and several gateways share one series. A sample's `at` is the
 * start of its interval's slot (one sample per slot). A sample holds the cluster's turns/s (summed over the live nodes' heartbeat figures),
 * its turn latency p99 (the slowest live node's) and each org's provider cost so far (µ$, from the
 * usage projection); the page draws them as inline SVG (page.ts).
 */
import type { SeriesPoint, SeriesSample } from './seriesPoint.js';
import type { SeriesStore } from './seriesStore.js';

export type { SeriesPoint, SeriesSample } from './seriesPoint.js';

export const DEFAULT_SERIES_MS = 10_000;
export const SERIES_POINTS = 60;

/** What one viewer's charts show: `[at, value]` pairs, oldest first. */
export interface ConsoleCharts {
  readonly intervalMs: number;
  /** cluster figures: operators only (null otherwise) */
  readonly throughput: readonly [number, number | null][] | null;
  readonly latencyP99: readonly [number, number | null][] | null;
  /** provider cost of each interval over the viewer's orgs, µ$ */
  readonly cost: readonly [number, number][];
}

export class ConsoleSeries {
  private points: SeriesPoint[] = [];
  private store: SeriesStore | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly sample: () => Promise<SeriesSample>,
    readonly intervalMs = DEFAULT_SERIES_MS,
    private readonly now: () => number = Date.now,
    /** a sample that could not be stored or read back (logged by the caller) */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * Starts sampling; with a store, the samples stored before (by this gateway before a restart, or
   * by others) are read back first, and each new one is stored.
   */
  async start(store?: SeriesStore): Promise<void> {
    if (this.timer) return;
    if (store) {
      this.store = store;
      const stored = await store.load(SERIES_POINTS + 1).catch((err: unknown) => {
        this.onError(err);
        return [];
      });
      const known = new Set(this.points.map((p) => p.at));
      this.points = [...stored.filter((p) => !known.has(p.at)), ...this.points]
        .sort((a, b) => a.at - b.at)
        .slice(-(SERIES_POINTS + 1));
    }
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes one sample now (also what the timer does). */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const at = Math.floor(this.now() / this.intervalMs) * this.intervalMs;
      if (this.points.length > 0 && this.points[this.points.length - 1]!.at >= at) return;
      const s = await this.sample();
      const point: SeriesPoint = { at, ...s };
      this.points.push(point);
      if (this.points.length > SERIES_POINTS + 1)
        this.points.splice(0, this.points.length - SERIES_POINTS - 1);
      await this.store?.save(point, this.intervalMs).catch(this.onError);
    } catch {
      // a failed sample is a gap in the charts, nothing more
    } finally {
      this.busy = false;
    }
  }

  /** The charts of a viewer who sees `orgs` (`operator`: also the cluster's). */
  charts(orgs: readonly string[], operator: boolean): ConsoleCharts {
    const costOf = (p: SeriesPoint) => orgs.reduce((sum, o) => sum + (p.costByOrg.get(o) ?? 0), 0);
    const cost: [number, number][] = [];
    for (let i = 1; i < this.points.length; i++) {
      const p = this.points[i]!;
      cost.push([p.at, Math.max(0, costOf(p) - costOf(this.points[i - 1]!))]);
    }
    const recent = this.points.slice(-SERIES_POINTS);
    return {
      intervalMs: this.intervalMs,
      throughput: operator ? recent.map((p) => [p.at, p.turnsPerSec]) : null,
      latencyP99: operator ? recent.map((p) => [p.at, p.turnP99Ms]) : null,
      cost,
    };
  }
}
