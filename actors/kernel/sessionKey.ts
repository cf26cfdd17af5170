/**
 * Which session log an actor writes to: a `session` actor writes its own; any other actor writes
 * to the session named by its first command, or to the workspace-wide `_workspace` log.
 */
import type { ActorAddress } from '../../schemas/index.js';

export const WORKSPACE_SESSION = '_workspace';

export function sessionFor(address: ActorAddress, commandSession: string | undefined): string {
  if (address.kind === 'session') return address.id;
  return commandSession ?? WORKSPACE_SESSION;
}
