/**
 * Command data schemas of the tenancy actor kinds, keyed by kind then command type, merged into
 * COMMANDS_BY_KIND. Where tenancy actors live (subjects use reserved workspace token `_tenancy`):
 *
 *   moe.cmd._global._tenancy.user.<userId>        a user (global; id derived from the email)
 *   moe.cmd.<org>._tenancy.org.<org>              the org itself (`org` kind, actors/org.machine.ts)
 *   moe.cmd.<org>._tenancy.membership.<org>       org members and their roles
 *   moe.cmd.<org>._tenancy.team.<teamId>          a team and its members
 *   moe.cmd.<org>._tenancy.workspace.<wsId>       a workspace's name and lifecycle
 *   moe.cmd.<org>._tenancy.project.<projectId>    a project: workspace, grants, agent config
 *   moe.cmd.<org>._tenancy.apikey.<keyId>         an API key (hash only), scope, revocation
 *   moe.cmd.<org>._tenancy.audit.console          the console's audit log of operator actions
 *
 * Secrets never reach a machine in clear: password and key hashes are computed by the gateway.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import { LaneWorkflows } from './laneWorkflow.js';
import { TOKEN_PATTERN } from './subjects.js';

const Id = Type.String({ pattern: TOKEN_PATTERN });
const Name = Type.String({ minLength: 1, maxLength: 200 });

/** The reserved workspace token of tenancy actors, and the org token of global ones (users). */
export const TENANCY_WS = '_tenancy';
export const GLOBAL_ORG = '_global';

export const ORG_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export const OrgRole = Type.Union(ORG_ROLES.map((r) => Type.Literal(r)));
export type OrgRole = Static<typeof OrgRole>;

/** A stored password: scrypt hash with its parameters, so they can change without a migration. */
export const PasswordHash = Type.Object(
  {
    alg: Type.Literal('scrypt'),
    N: Type.Integer({ minimum: 1024 }),
    r: Type.Integer({ minimum: 1 }),
    p: Type.Integer({ minimum: 1 }),
    salt: Type.String({ maxLength: 128 }),
    hash: Type.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type PasswordHash = Static<typeof PasswordHash>;

/** One agent of a project's agent configuration (seed 002 `PUT /api/projects/:id/agent-config`). */
export const AgentConfig = Type.Object(
  {
    name: Type.String({ pattern: TOKEN_PATTERN }),
    provider: Type.Optional(Type.String({ maxLength: 64 })),
    model: Type.Optional(Type.String({ maxLength: 128 })),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    systemPrompt: Type.Optional(Type.String({ maxLength: 20_000 })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** tools that need a person's approval before they run (the agent waits in `awaiting_approval`) */
    approval: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), { maxItems: 32, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
export type AgentConfig = Static<typeof AgentConfig>;

const obj = <P extends TProperties>(props: P) => Type.Object(props, { additionalProperties: false });
const Grant = obj({ user: Type.Optional(Id), team: Type.Optional(Id) });

export const UserCommands = {
  'user.register': obj({
    email: Type.String({ minLength: 3, maxLength: 320 }),
    name: Name,
    password: PasswordHash,
  }),
  'user.password.set': obj({ password: PasswordHash }),
};

export const MembershipCommands = {
  'member.add': obj({ user: Id, role: OrgRole }),
  'member.role.set': obj({ user: Id, role: OrgRole }),
  'member.remove': obj({ user: Id }),
};

export const TeamCommands = {
  'team.create': obj({ name: Name, createdBy: Id }),
  'team.member.add': obj({ user: Id }),
  'team.member.remove': obj({ user: Id }),
  'team.delete': obj({}),
};

export const WorkspaceCommands = {
  'workspace.create': obj({
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    createdBy: Id,
  }),
  'workspace.update': obj({
    name: Type.Optional(Name),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
  'workspace.delete': obj({}),
};

export const ProjectCommands = {
  'project.create': obj({
    workspace: Id,
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    createdBy: Id,
  }),
  'project.update': obj({
    name: Type.Optional(Name),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
  'project.grant': Grant,
  'project.revoke': Grant,
  /** `workflows` (lane id → LaneWorkflow, seed 002): absent leaves the project's workflows as they are */
  'project.agents.set': obj({
    agents: Type.Array(AgentConfig, { maxItems: 32 }),
    workflows: Type.Optional(LaneWorkflows),
  }),
  'project.delete': obj({}),
};

export const ApiKeyCommands = {
  'apikey.create': obj({
    name: Name,
    /** sha256 of the secret, hex: keys are high-entropy, a fast hash is enough */
    hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    role: OrgRole,
    project: Type.Optional(Id),
    createdBy: Id,
    /** a platform operator's key (granted only by an operator, gateway/platformOperators.ts) */
    platformOperator: Type.Optional(Type.Boolean()),
  }),
  'apikey.touch': obj({}),
  'apikey.revoke': obj({}),
};

/** What the console records before it acts (redrive, discard, approve, deny): who, what, on what. */
export const AuditCommands = {
  'audit.record': obj({
    action: Type.String({ minLength: 1, maxLength: 100 }),
    target: Type.String({ minLength: 1, maxLength: 300 }),
    /** who: a user id, or `operator` for the operator token */
    by: Type.String({ minLength: 1, maxLength: 200 }),
    /** the role the action was allowed by */
    role: Type.String({ minLength: 1, maxLength: 40 }),
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
};

export const TENANCY_COMMANDS_BY_KIND: Record<string, Record<string, TSchema>> = {
  user: UserCommands,
  membership: MembershipCommands,
  team: TeamCommands,
  workspace: WorkspaceCommands,
  project: ProjectCommands,
  apikey: ApiKeyCommands,
  audit: AuditCommands,
};
