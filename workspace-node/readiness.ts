/**
 * When a workspace-node is ready for traffic (`/readyz`): its NATS connection is up, discovery has
 * read the workspace registry and the commands after its mark, and every workspace it has taken a
 * lease for is consuming (its durable consumer is bound: no host is still starting). Pure: the node
 * passes what it knows, this says ready or not and why, for the probe's body.
 */

export interface ReadinessInputs {
  readonly natsUp: boolean;
  readonly discoveryCaughtUp: boolean;
  /** workspaces whose hosting has started and not finished (lease, restore, consumer) */
  readonly workspacesStarting: number;
  readonly stopping: boolean;
}

export interface Readiness {
  readonly ready: boolean;
  /** each check by name: true when it passes */
  readonly checks: {
    readonly nats: boolean;
    readonly discovery: boolean;
    readonly consumers: boolean;
    readonly running: boolean;
  };
}

export function readiness(i: ReadinessInputs): Readiness {
  const checks = {
    nats: i.natsUp,
    discovery: i.discoveryCaughtUp,
    consumers: i.workspacesStarting === 0,
    running: !i.stopping,
  };
  return { ready: checks.nats && checks.discovery && checks.consumers && checks.running, checks };
}
