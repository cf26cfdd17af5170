/**
 * One sample of the console's time series (series.ts), the shape both the in-memory series and
 * its stream store (seriesStore.ts) hold; a file of its own so neither imports the other.
 */

export interface SeriesSample {
  /** null: the supervisor did not answer */
  readonly turnsPerSec: number | null;
  readonly turnP99Ms: number | null;
  /** org → provider cost so far, µ$ */
  readonly costByOrg: ReadonlyMap<string, number>;
}

export interface SeriesPoint extends SeriesSample {
  readonly at: number;
}
