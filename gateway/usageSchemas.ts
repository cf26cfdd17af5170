/**
 * Query strings of the usage routes (`GET /api/usage`, `GET /api/workspaces/:id/usage[/suggestions]`)
 * and how their time bounds are read: `from` (inclusive) and `to` (exclusive), each an ISO 8601
 * time or epoch ms, counted on the usage projection's hour buckets (usageBuckets.ts).
 */
import { Type } from '@sinclair/typebox';
import { parseSearchTime } from '../schemas/index.js';
import { errors } from './errors.js';
import { GROUP_BY } from './usageQuery.js';

const strict = { additionalProperties: false } as const;
const Token = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const time = (what: string) =>
  Type.String({
    maxLength: 40,
    description: `${what}: ISO 8601 time (UTC unless it has an offset) or epoch ms`,
  });
const GroupBy = Type.Union(
  GROUP_BY.map((g) => Type.Literal(g)),
  { description: 'one group per provider, agent, project, model, or UTC day (YYYY-MM-DD)' },
);

const RangeFields = {
  from: Type.Optional(time('start of the range, inclusive')),
  to: Type.Optional(time('end of the range, exclusive')),
};

export const UsageQuery = Type.Object(
  {
    org: Token,
    ws: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'only this workspace' })),
    project: Type.Optional(Token),
    agent: Type.Optional(Type.String({ maxLength: 64 })),
    provider: Type.Optional(Type.String({ maxLength: 64 })),
    model: Type.Optional(Type.String({ maxLength: 128 })),
    ...RangeFields,
    groupBy: Type.Optional(GroupBy),
  },
  strict,
);

export const WorkspaceUsageQuery = Type.Object({ ...RangeFields, groupBy: Type.Optional(GroupBy) }, strict);
export const SuggestionsQuery = Type.Object(RangeFields, strict);

/** The [from, to) range a query names (epoch ms), or MOE_ERR_BAD_REQUEST. */
export function rangeOf(q: { from?: string; to?: string }): { from?: number; to?: number } {
  const at = (raw: string | undefined, name: string) => {
    if (raw === undefined) return undefined;
    const ms = parseSearchTime(raw);
    if (ms === undefined)
      throw errors.BAD_REQUEST(`${name} must be an ISO 8601 time or epoch ms, got "${raw}"`);
    return ms;
  };
  const from = at(q.from, 'from');
  const to = at(q.to, 'to');
  if (from !== undefined && to !== undefined && from >= to)
    throw errors.BAD_REQUEST(`from (${q.from}) must be before to (${q.to})`);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** The range as an answer reports it (ISO 8601, null: unbounded). */
export function rangeView(r: { from?: number; to?: number }) {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return { from: iso(r.from), to: iso(r.to) };
}
