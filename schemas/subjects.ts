/**
 * The subject space of MOE-Agents: stream names, KV bucket names and the subject builders/parsers
 * every process uses. One place, so a client in any language can follow docs/subjects.md.
 *
 *   moe.cmd.<org>.<ws>.<kind>.<id>   commands into an actor          (stream MOE_CMD)
 *   moe.evt.<org>.<ws>.<kind>.<id>   the actor's journal, one entry (1..64 turns) per append (stream MOE_EVT)
 *   moe.dlq.<org>.<ws>               dead letters with their reason  (stream MOE_DLQ)
 *   moe.live.<org>.<ws>.<kind>.<id>  coalesced live deltas, not persisted (core NATS)
 */

export const STREAMS = {
  commands: 'MOE_CMD',
  events: 'MOE_EVT',
  deadLetters: 'MOE_DLQ',
} as const;

export const KV_BUCKETS = {
  placement: 'moe_placement',
  nodes: 'moe_nodes',
  limits: 'moe_limits',
  gatewayRateLimit: 'moe_gateway_ratelimit',
  gatewayRevoked: 'moe_gateway_revoked',
  /** the gateway's projection snapshots (gateway/snapshotStore.ts) */
  gatewaySnapshots: 'moe_gateway_snapshots',
  /** deleted workspaces (schemas/retirement.ts): nodes tear them down and never host them again */
  retired: 'moe_retired',
  /** every workspace that has received a command (schemas/workspaceRegistry.ts): discovery reads it */
  workspaces: 'moe_workspaces',
  /** the discovery mark: the MOE_CMD sequence up to which `moe_workspaces` is complete */
  discovery: 'moe_discovery',
  /** actors a restart policy stopped (schemas/stoppedActors.ts): nodes refuse their commands */
  stoppedActors: 'moe_stopped_actors',
  /** escalations claimed or routed by a gateway (gateway/escalationRouter.ts), key = the escalation id */
  escalations: 'moe_escalations',
} as const;

/** Buckets every process creates at start (the gateway creates its own, with TTLs). */
export const CORE_KV_BUCKETS = [
  KV_BUCKETS.placement,
  KV_BUCKETS.nodes,
  KV_BUCKETS.limits,
  KV_BUCKETS.retired,
  KV_BUCKETS.workspaces,
  KV_BUCKETS.discovery,
  KV_BUCKETS.stoppedActors,
] as const;

/** A token used in a subject: letters, digits, `_` and `-`, 1–64 chars. No dots, no wildcards. */
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const TOKEN_RE = new RegExp(TOKEN_PATTERN);

export function isToken(value: string): boolean {
  return TOKEN_RE.test(value);
}

/** The address of one actor: the four tokens after `moe.cmd.` / `moe.evt.`. */
export interface ActorAddress {
  readonly org: string;
  readonly ws: string;
  readonly kind: string;
  readonly id: string;
}

export function addressKey(a: ActorAddress): string {
  return `${a.org}.${a.ws}.${a.kind}.${a.id}`;
}

export function commandSubject(a: ActorAddress): string {
  return `moe.cmd.${addressKey(a)}`;
}

export function eventSubject(a: ActorAddress): string {
  return `moe.evt.${addressKey(a)}`;
}

export function liveSubject(a: ActorAddress): string {
  return `moe.live.${addressKey(a)}`;
}

/** Every live delta of one workspace (core NATS wildcard). */
export function workspaceLiveFilter(org: string, ws: string): string {
  return `moe.live.${org}.${ws}.>`;
}

export function deadLetterSubject(org: string, ws: string): string {
  return `moe.dlq.${org}.${ws}`;
}

/** All commands of one workspace: the filter of that workspace's durable consumer. */
export function workspaceCommandFilter(org: string, ws: string): string {
  return `moe.cmd.${org}.${ws}.>`;
}

/** All journal entries of one workspace. */
export function workspaceEventFilter(org: string, ws: string): string {
  return `moe.evt.${org}.${ws}.>`;
}

/**
 * Parses `moe.cmd.…` or `moe.evt.…` into an address; `null` when the subject is not one
 * (wrong prefix, wrong token count, a token outside {@link TOKEN_PATTERN}).
 */
export function parseActorSubject(subject: string): ActorAddress | null {
  const parts = subject.split('.');
  if (parts.length !== 6 || parts[0] !== 'moe' || (parts[1] !== 'cmd' && parts[1] !== 'evt')) return null;
  const [, , org, ws, kind, id] = parts as [string, string, string, string, string, string];
  if (![org, ws, kind, id].every(isToken)) return null;
  return { org, ws, kind, id };
}

/**
 * The `Nats-Msg-Id` of a command. JetStream deduplicates message ids across the whole MOE_CMD
 * stream, while command ids only need to be unique per actor — so the id is scoped by the actor.
 */
export function commandMsgId(a: ActorAddress, commandId: string): string {
  return `${addressKey(a)}/${commandId}`;
}

/**
 * Durable consumer name of a workspace: `ws-<length of org>-<org>-<ws>`, e.g. `ws-3-acme-web`.
 * The length says where the org ends, so no two workspaces share a name although `_` and `-` are
 * allowed in ids; at most 135 chars of token characters (names may not contain dots). The `ws-`
 * prefix never equals a {@link legacyWorkspaceConsumerName}.
 */
export function workspaceConsumerName(org: string, ws: string): string {
  return `ws-${org.length}-${org}-${ws}`;
}

/**
 * The name earlier versions gave a workspace consumer: `ws_<org>_<ws>`. Ambiguous (org `a_b` with
 * workspace `c`, and org `a` with workspace `b_c`, both give `ws_a_b_c`), so it is only reused
 * where it already exists with the workspace's own filter (see actors/kernel/workspaceConsumer.ts).
 */
export function legacyWorkspaceConsumerName(org: string, ws: string): string {
  return `ws_${org}_${ws}`;
}

/** KV key for a workspace placement lease. */
export function placementKey(org: string, ws: string): string {
  return `${org}.${ws}`;
}
