/**
 * Schemas of the domain events of the tenancy actors (user, membership, team, workspace, project,
 * apikey): what the gateway's tenancy projection folds. The machines in actors/tenancy/ emit exactly
 * these (their types come from here); `eventCodec.ts` decodes them.
 */
import { Type } from '@sinclair/typebox';
import { eventSchema } from './events.js';
import { LaneWorkflows } from './laneWorkflow.js';
import { AgentConfig, OrgRole, PasswordHash } from './tenancy.js';

const Id = Type.String();
const EpochMs = Type.Number();

export const UserEvents = {
  'user.registered': eventSchema(
    'user.registered',
    { email: Type.String(), name: Type.String(), password: PasswordHash },
    'a user registered (the password as its scrypt hash)',
  ),
  'user.password.changed': eventSchema(
    'user.password.changed',
    { password: PasswordHash },
    'the user set a new password',
  ),
};

export const MembershipEvents = {
  'member.added': eventSchema('member.added', { user: Id, role: OrgRole }, 'a user joined the org'),
  'member.role.changed': eventSchema(
    'member.role.changed',
    { user: Id, role: OrgRole },
    "a member's role changed",
  ),
  'member.removed': eventSchema('member.removed', { user: Id }, 'a member left the org'),
};

export const TeamEvents = {
  'team.created': eventSchema('team.created', { name: Type.String(), createdBy: Id }, 'a team was created'),
  'team.member.added': eventSchema('team.member.added', { user: Id }, 'a user joined the team'),
  'team.member.removed': eventSchema('team.member.removed', { user: Id }, 'a user left the team'),
  'team.deleted': eventSchema('team.deleted', {}, 'the team was deleted (final)'),
};

const Described = { name: Type.String(), description: Type.String() };

export const WorkspaceEvents = {
  'workspace.created': eventSchema(
    'workspace.created',
    { ...Described, createdBy: Id, createdAt: EpochMs },
    'the workspace exists',
  ),
  'workspace.updated': eventSchema('workspace.updated', Described, 'name and description after an update'),
  'workspace.deleted': eventSchema('workspace.deleted', {}, 'the workspace was deleted (final)'),
};

export const ProjectEvents = {
  'project.created': eventSchema(
    'project.created',
    { workspace: Id, ...Described, createdBy: Id, createdAt: EpochMs },
    'the project exists in its workspace',
  ),
  'project.updated': eventSchema('project.updated', Described, 'name and description after an update'),
  'project.access.changed': eventSchema(
    'project.access.changed',
    { users: Type.Array(Id), teams: Type.Array(Id) },
    'the users and teams the project is granted to, after a grant or revoke',
  ),
  'project.agents.changed': eventSchema(
    'project.agents.changed',
    { agents: Type.Array(AgentConfig), workflows: Type.Optional(LaneWorkflows) },
    "the project's agent configuration (workflows: its lane workflows, when set)",
  ),
  'project.deleted': eventSchema('project.deleted', {}, 'the project was deleted (final)'),
};

export const ApiKeyEvents = {
  'apikey.created': eventSchema(
    'apikey.created',
    {
      name: Type.String(),
      hash: Type.String(),
      role: OrgRole,
      project: Type.Union([Id, Type.Null()]),
      createdBy: Id,
      createdAt: EpochMs,
      /** true: a platform operator's key (absent: not one) */
      platformOperator: Type.Optional(Type.Boolean()),
    },
    'an API key exists (only the sha256 of its secret)',
  ),
  'apikey.used': eventSchema('apikey.used', { at: EpochMs }, 'the key was used (at most once a minute)'),
  'apikey.revoked': eventSchema('apikey.revoked', { at: EpochMs }, 'the key was revoked (final)'),
};

export const AuditEvents = {
  'audit.recorded': eventSchema(
    'audit.recorded',
    {
      action: Type.String(),
      target: Type.String(),
      by: Type.String(),
      role: Type.String(),
      detail: Type.Union([Type.String(), Type.Null()]),
      at: EpochMs,
    },
    'the console is about to act (redrive, discard, approve, deny): who, what and on what',
  ),
};

/** Tenancy event schemas by actor kind (the kind names of TENANCY_COMMANDS_BY_KIND). */
export const TENANCY_EVENTS_BY_KIND = {
  user: UserEvents,
  membership: MembershipEvents,
  team: TeamEvents,
  workspace: WorkspaceEvents,
  project: ProjectEvents,
  apikey: ApiKeyEvents,
  audit: AuditEvents,
};
