/** Tenancy actor kinds (user, membership, team, workspace, project, api key, audit): pure machines registered with the kernel. */
import type { AnyStateMachine } from 'xstate';
import { apikeyMachine } from './apikey.machine.js';
import { auditMachine } from './audit.machine.js';
import { membershipMachine } from './membership.machine.js';
import { projectMachine } from './project.machine.js';
import { teamMachine } from './team.machine.js';
import { userMachine } from './user.machine.js';
import { workspaceMachine } from './workspace.machine.js';

export {
  apikeyMachine,
  auditMachine,
  membershipMachine,
  projectMachine,
  teamMachine,
  userMachine,
  workspaceMachine,
};
export type { ApiKeyContext } from './apikey.machine.js';
export type { MembershipContext } from './membership.machine.js';
export type { ProjectContext } from './project.machine.js';
export type { TeamContext } from './team.machine.js';
export type { UserContext } from './user.machine.js';
export type { WorkspaceContext } from './workspace.machine.js';

/** kind name → machine; their command schemas live in schemas/tenancy.ts under the same kind name. */
export const TENANCY_MACHINES: Record<string, AnyStateMachine> = {
  user: userMachine,
  membership: membershipMachine,
  team: teamMachine,
  workspace: workspaceMachine,
  project: projectMachine,
  apikey: apikeyMachine,
  audit: auditMachine,
};
