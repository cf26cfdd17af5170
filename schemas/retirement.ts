/**
 * A deleted workspace's record in the `moe_retired` KV bucket (key `<org>.<ws>`), the one place
 * the gateway and the workspace-nodes agree that a workspace is gone (issue 8 item 8). The gateway
 * writes it (`deleting`) when `DELETE /api/workspaces/:id` is called; every node watches the bucket:
 * a node hosting the workspace stops, the node that can take its lease tears it down — its
 * consumer, its MOE_CMD / MOE_EVT / MOE_DLQ subjects, its local directory and its lease — and
 * marks the record `deleted`. A node never hosts a workspace that has a record here, so a late
 * command cannot bring it back. The backups stay in the object store (pruned by their retention
 * policy, `moe backup prune`). The record stays too: it is small, and it is the tombstone.
 */
import { Type, type Static } from '@sinclair/typebox';
import { parseOrNull } from './codec.js';

export const WorkspaceRetirement = Type.Object(
  {
    org: Type.String(),
    ws: Type.String(),
    /** ms since the epoch */
    deletedAt: Type.Number(),
    /** the user who deleted it */
    deletedBy: Type.String(),
    state: Type.Union([Type.Literal('deleting'), Type.Literal('deleted')]),
    /** the node that tore it down, and when */
    node: Type.Optional(Type.String()),
    tornDownAt: Type.Optional(Type.Number()),
  },
  { $id: 'WorkspaceRetirement' },
);
export type WorkspaceRetirement = Static<typeof WorkspaceRetirement>;

/** The KV key of a workspace's record (the same as its placement key). */
export function retirementKey(org: string, ws: string): string {
  return `${org}.${ws}`;
}

/** The record in a KV value, or null when it is not one (never throws). */
export const parseRetirement: (bytes: Uint8Array) => WorkspaceRetirement | null =
  parseOrNull(WorkspaceRetirement);
