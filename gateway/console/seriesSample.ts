/**
 * One sample of the console's charts (series.ts): the live nodes' turns/s (summed) and turn
 * latency p99 (the slowest) from the supervisor's status, and every org's provider cost so far
 * from the usage projection.
 */
import type { TenancyProjection } from '../projection.js';
import type { UsageProjection } from '../usageProjection.js';
import type { ClusterSource } from './clusterSource.js';
import type { SeriesSample } from './series.js';

export async function sampleSeries(
  cluster: ClusterSource,
  usage: UsageProjection,
  tenancy: TenancyProjection,
): Promise<SeriesSample> {
  const view = await cluster.read();
  let turnsPerSec: number | null = null;
  let turnP99Ms: number | null = null;
  if (view.ok) {
    turnsPerSec = 0;
    for (const n of view.status.nodes) {
      if (n.state === 'dead' || !n.stats) continue;
      turnsPerSec += n.stats.turnsPerSec;
      if (n.stats.turnP99Ms !== null) turnP99Ms = Math.max(turnP99Ms ?? 0, n.stats.turnP99Ms);
    }
    turnsPerSec = Math.round(turnsPerSec * 1000) / 1000;
  }
  const costByOrg = new Map<string, number>();
  for (const org of tenancy.orgs.keys())
    costByOrg.set(
      org,
      usage.rowsOf(org).reduce((sum, r) => sum + (r.costMicros ?? 0), 0),
    );
  return { turnsPerSec, turnP99Ms, costByOrg };
}
