/**
 * The supervisor's public door. A supervisor watches workspace-node heartbeats (KV `moe_nodes`),
 * elects a leader among supervisors (CAS on `_supervisor.leader` in the same bucket), and the
 * leader releases the placement leases of dead nodes so a live node takes their workspaces at once.
 * Every supervisor serves the dashboard (`/`), `/api/status` and `/healthz`.
 *
 * The kernel retries effects and dead-letters commands that cannot apply; the leading supervisor
 * applies the restart policies to those failures (restartPolicy.ts, actorSupervision.ts): restart
 * with backoff, then stop or escalate.
 *
 * @example
 *   const sup = await startSupervisor({ natsUrl: 'nats://127.0.0.1:4222', port: 8090 });
 *   // or sharing `moe up`'s connection: startSupervisor({ nc, port: 8090 })
 *   await sup.stop();
 */
export {
  startSupervisor,
  DEFAULT_STALE_MS,
  DEFAULT_SUPERVISOR_PORT,
  DEFAULT_LEADER_LEASE_MS,
  type Supervisor,
  type SupervisorOptions,
} from './supervisor.js';
export { errors } from './errors.js';
export { OPERATOR_COOKIE } from './operatorAccess.js';
export { LEADER_KEY } from './leadership.js';
export { SUPERVISOR_KEY_PREFIX, type NodeView } from './membership.js';
export {
  RECENT_DEAD_LETTERS,
  DEFAULT_DEAD_NODE_TTL_MS,
  SUSPECT_AFTER_BEATS,
  type NodeStatus,
  type NodeState,
  type LeaseState,
  type SupervisorStatus,
  type WorkspaceStatus,
  type DeadLetterSummary,
  type StreamSize,
} from './status.js';
export type { Release } from './repair.js';
export {
  decide,
  policyOf,
  restartPoliciesFromEnv,
  DEFAULT_RESTART_POLICY,
  type RestartPolicy,
  type RestartPolicies,
  type EscalationTarget,
  type Decision,
} from './restartPolicy.js';
export { escalationSubject, type ActorEscalated } from './actorSupervision.js';
