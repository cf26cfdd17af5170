/**
 * HTTP schemas of the gateway routes (TypeBox → Fastify validation and the OpenAPI document). Ids
 * and command data reuse the wire contract in `schemas/`, so REST and NATS accept the same values.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  AgentMessageData,
  CoordinatorSubmit,
  ScriptStep,
  SearchRequest,
  SessionCommands,
  Token,
} from '../schemas/index.js';
import { AgentConfig, LaneWorkflows, OrgRole } from '../schemas/index.js';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ pattern: '^MOE_ERR_' }),
      message: Type.String(),
      details: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description: 'what the code names, when it names something (e.g. `since` of MOE_ERR_CURSOR_PURGED)',
        }),
      ),
    }),
  },
  { $id: 'ErrorBody', description: 'every 4xx/5xx answer; codes are listed in docs/errors.md' },
);

/** Standard error responses for a route's OpenAPI entry. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [400, 401, 429, ...statuses]) out[s] = Type.Ref('ErrorBody');
  return out;
}

const strict = { additionalProperties: false } as const;
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 320 });
export const Password = Type.String({ minLength: 8, maxLength: 1024 });
export const Name = Type.String({ minLength: 1, maxLength: 200 });
export const Description = Type.String({ maxLength: 2000 });

export const IdParams = Type.Object({ id: Token }, strict);
export const OrgParams = Type.Object({ org: Token }, strict);
export const OrgUserParams = Type.Object({ org: Token, user: Token }, strict);
export const IdUserParams = Type.Object({ id: Token, user: Token }, strict);
export const IdTeamParams = Type.Object({ id: Token, team: Token }, strict);
export const WsParams = Type.Object({ wsId: Token }, strict);

export const RegisterBody = Type.Object({ email: Email, password: Password, name: Name }, strict);
export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  strict,
);
export const CreateOrgBody = Type.Object({ name: Name }, strict);
export const AddMemberBody = Type.Object({ email: Email, role: OrgRole }, strict);
export const RoleBody = Type.Object({ role: OrgRole }, strict);
export const CreateTeamBody = Type.Object({ name: Name }, strict);
export const TeamMemberBody = Type.Object({ user: Token }, strict);
/** the role a new API key may be given: an org role, or `platform-operator` (operators only) */
export const ApiKeyRole = Type.Union([OrgRole, Type.Literal('platform-operator')]);
export const CreateApiKeyBody = Type.Object(
  { name: Name, role: Type.Optional(ApiKeyRole), project: Type.Optional(Token) },
  strict,
);
export const CreateWorkspaceBody = Type.Object(
  { org: Token, name: Name, description: Type.Optional(Description) },
  strict,
);
export const UpdateBody = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description) },
  strict,
);
export const CreateProjectBody = Type.Object({ name: Name, description: Type.Optional(Description) }, strict);
export const AgentConfigBody = Type.Object(
  {
    agents: Type.Array(AgentConfig, { maxItems: 32 }),
    /** lane id → workflow (seed 002 LANE_WORKFLOWS); absent: the project's workflows stay as they are */
    workflows: Type.Optional(LaneWorkflows),
  },
  strict,
);
export const OpenSessionBody = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 200 })),
    leaseMs: SessionCommands['session.open'].properties.leaseMs,
  },
  strict,
);
export const RenewBody = SessionCommands['session.renew'];
export const CloseBody = SessionCommands['session.close'];
export const SubmitTaskBody = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 100_000 }),
    agent: Type.Optional(Token),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    script: Type.Optional(Type.Array(ScriptStep, { maxItems: 100 })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    session: Type.Optional(Token),
    /** mixture of experts: with `experts` or `subtasks` the task runs on a coordinator (CoordinatorSubmit) */
    experts: CoordinatorSubmit.properties.experts,
    subtasks: CoordinatorSubmit.properties.subtasks,
    aggregate: CoordinatorSubmit.properties.aggregate,
  },
  strict,
);
export const ApprovalBody = Type.Object(
  {
    callId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  strict,
);
export const CancelBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, strict);
export const ListWorkspacesQuery = Type.Object({ org: Type.Optional(Token) }, strict);
export const AgentsQuery = Type.Object({ project: Type.Optional(Token) }, strict);
/** A yes/no query flag: `1`, `true`, `0`, `false`. */
export const Flag = Type.Union([
  Type.Literal('1'),
  Type.Literal('true'),
  Type.Literal('0'),
  Type.Literal('false'),
]);
export const flagOn = (f: Static<typeof Flag> | undefined, dflt = false) =>
  f === undefined ? dflt : f === '1' || f === 'true';

export const StreamQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    from: Type.Optional(Type.Union([Type.Literal('start'), Type.Literal('now')])),
    level: Type.Optional(Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('error')])),
    source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_,-]{1,200}$' })),
    /** `1`/`true`: also send live token deltas (not journaled, no cursor) while agents stream */
    deltas: Type.Optional(Flag),
    access_token: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  strict,
);

/** An agent in a session: `/api/sessions/:id/agents/:agentId/…` (agentId: the task id). */
export const SessionAgentParams = Type.Object({ id: Token, agentId: Token }, strict);
/** A follow-up message to an agent: the `agent.message` command's data. */
export const SendMessageBody = AgentMessageData;
export const MessagesQuery = Type.Object(
  {
    /** the page starts after this agent turn (`nextCursor` of the previous page); default 0 */
    cursor: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  strict,
);

/** `GET /api/workspaces/:id/search` (routes/search.ts); the NATS request it becomes: schemas/search.ts */
const Time = Type.String({
  pattern: '^[0-9A-Za-z:.+-]{1,40}$',
  description: 'ISO 8601 time (2026-01-31T12:00:00Z) or ms since epoch',
});
export const SearchQuery = Type.Object(
  {
    q: SearchRequest.properties.q,
    session: Type.Optional(Token),
    agent: Type.Optional(Token),
    kind: Type.Optional(Token),
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    level: Type.Optional(
      Type.String({
        pattern: '^(debug|info|warn|error)(,(debug|info|warn|error)){0,3}$',
        description: 'comma-separated levels to keep, e.g. warn,error',
      }),
    ),
    limit: SearchRequest.properties.limit,
    offset: SearchRequest.properties.offset,
  },
  strict,
);
