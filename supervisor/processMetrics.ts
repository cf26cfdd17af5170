/**
 * The supervisor's own process metrics (prom-client, one registry per supervisor), served on
 * `/metrics` before the cluster figures of metrics.ts: the prom-client defaults under
 * `moe_supervisor_`, and gauges read at scrape time — leader or not, NATS link, readiness, leases
 * released and rebalance moves so far, and what the restart policies did (restartPolicy.ts).
 * docs/operations.md ("Supervisor metrics") lists them; test/unit/metrics.docs.test.ts checks it.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface SupervisorMetricSources {
  leader(): boolean;
  natsUp(): boolean;
  ready(): boolean;
  leasesReleased(): number;
  rebalanceMoves(): number;
}

export interface SupervisorProcessMetrics {
  readonly registry: Registry;
  /** a restart policy decided `action` for an actor of `kind` (restart, stop, escalate) */
  readonly policyDecisions: Counter<'kind' | 'action'>;
  /** an escalation alert was delivered (`ok`) or not (`failed`) to the webhook */
  readonly alerts: Counter<'outcome'>;
}

export const SUPERVISOR_DEFAULT_METRICS_PREFIX = 'moe_supervisor_';

export function createSupervisorMetrics(s: SupervisorMetricSources): SupervisorProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: SUPERVISOR_DEFAULT_METRICS_PREFIX });
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('moe_supervisor_leader', '1 while this supervisor leads (releases leases, rebalances), else 0', () =>
    s.leader() ? 1 : 0,
  );
  gauge('moe_supervisor_nats_connected', '1 while the NATS connection is up, else 0', () =>
    s.natsUp() ? 1 : 0,
  );
  gauge('moe_supervisor_ready', '1 when /readyz answers 200, else 0', () => (s.ready() ? 1 : 0));
  gauge(
    'moe_supervisor_leases_released',
    'placement leases of dead nodes this supervisor released since it started',
    () => s.leasesReleased(),
  );
  gauge(
    'moe_supervisor_rebalance_moves',
    'workspace hand-overs this supervisor asked for to even out nodes since it started',
    () => s.rebalanceMoves(),
  );
  const policyDecisions = new Counter({
    name: 'moe_supervisor_restart_policy_decisions_total',
    help: 'what the restart policies decided for failed actors, by actor kind and action (restart, stop, escalate)',
    labelNames: ['kind', 'action'],
    registers,
  });
  const alerts = new Counter({
    name: 'moe_supervisor_escalation_alerts_total',
    help: 'escalation webhook deliveries by outcome (ok, failed)',
    labelNames: ['outcome'],
    registers,
  });
  return { registry, policyDecisions, alerts };
}
