/**
 * The control subjects of a workspace-node (core NATS request/reply, docs/subjects.md): how
 * `moe node drain` and the supervisor's rebalancer ask one node to hand workspaces over.
 *
 *   moe.ctl.node.<nodeId>.drain     {}                          hand every workspace over, take no new ones
 *   moe.ctl.node.<nodeId>.undrain   {}                          take workspaces again
 *   moe.ctl.node.<nodeId>.release   {workspaces: [...], to?}    hand these over (to that node, when named)
 *
 * Every reply is a {@link NodeControlReply}. Progress is read from the node's heartbeat in KV
 * `moe_nodes` (`draining`, `workspaces`): a drain is done when `draining` is set and no workspace is left.
 */

export type NodeControlVerb = 'drain' | 'undrain' | 'release';

/** The subject for `verb` to `nodeId` (characters a subject token cannot hold, e.g. dots, become `_`). */
export function nodeControlSubject(nodeId: string, verb: NodeControlVerb): string {
  return `moe.ctl.node.${nodeId.replace(/[^A-Za-z0-9_-]/g, '_')}.${verb}`;
}

export interface NodeReleaseRequest {
  /** `org.ws` keys */
  readonly workspaces: readonly string[];
  /** the node the leases are reserved for (rebalance); none: whoever takes them first */
  readonly to?: string;
}

export interface NodeControlReply {
  readonly node: string;
  readonly draining: boolean;
  /** workspaces hosted when the request arrived (`org.ws`) */
  readonly workspaces: readonly string[];
  /** for `release`: the ones whose hand-over started */
  readonly accepted?: readonly string[];
}
