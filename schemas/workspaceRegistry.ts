/**
 * The workspace registry (issue 14 item 6): every workspace that has ever received a command, in
 * the `moe_workspaces` KV bucket (key `<org>.<ws>`), and the discovery mark in `moe_discovery`
 * (key {@link DISCOVERY_MARK_KEY}): the MOE_CMD sequence up to which every command's workspace is
 * in the registry. A starting workspace-node reads the registry (one entry per workspace) and
 * then only the commands after the mark, instead of the last command of every actor subject.
 * A deleted workspace leaves the registry when it is torn down (its record stays in `moe_retired`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { parseOrNull } from './codec.js';

export const WorkspaceRegistration = Type.Object(
  {
    org: Type.String(),
    ws: Type.String(),
    /** the MOE_CMD sequence of the first command seen for it */
    firstSeq: Type.Number(),
    /** ms since the epoch */
    registeredAt: Type.Number(),
    /** the node that registered it */
    by: Type.String(),
  },
  { $id: 'WorkspaceRegistration' },
);
export type WorkspaceRegistration = Static<typeof WorkspaceRegistration>;

/** The registry key of a workspace (the same as its placement key). */
export function registryKey(org: string, ws: string): string {
  return `${org}.${ws}`;
}

/** The key of the discovery mark in `moe_discovery`: a JSON number, a MOE_CMD sequence. */
export const DISCOVERY_MARK_KEY = 'commands';

/** The registration in a KV value, or null when it is not one (never throws). */
export const parseRegistration: (bytes: Uint8Array) => WorkspaceRegistration | null =
  parseOrNull(WorkspaceRegistration);
