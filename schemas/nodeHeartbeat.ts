/**
 * The workspace-node heartbeat's period: a node writes its key in KV `moe_nodes` this often, and the
 * supervisor counts a node dead after a few missed beats. Both sides read it from here, so the
 * supervisor does not import the node (and the provider SDKs behind it) for one number.
 */

/** How often a node writes its heartbeat and retries the workspaces it waits for (at most lease/3). */
export const NODE_HEARTBEAT_MS = 1000;
