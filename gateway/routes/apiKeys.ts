/**
 * API keys of an org: create (the secret is returned once; only its sha256 is journaled), list
 * (with last-used time, never the secret), revoke. Admins manage keys; a key's role is capped at
 * its creator's role, and a project-scoped key must name a project of the same org. The role
 * `platform-operator` may be granted only by a platform operator (platformOperators.ts; else 403
 * MOE_ERR_OPERATOR_ROLE_REQUIRED): such a key is an org admin in its org and a platform operator
 * in the console, with no env config; revoking it ends both. With an
 * Idempotency-Key a retry creates no second key; since the secret exists only in the first answer,
 * the retry answers the same key with `key: null` (revoke it and create another if it was lost).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { atLeast } from '../access.js';
import { principal, type GatewayContext } from '../context.js';
import { requireTenant } from '../requestOrg.js';
import { newApiKey } from '../crypto.js';
import { errors } from '../errors.js';
import { isPlatformOperator } from '../platformOperators.js';
import { creation } from '../idempotency.js';
import { CreateApiKeyBody, errorResponses, IdParams, OrgParams } from '../httpSchemas.js';
import type { ApiKeyView } from '../projection.js';

export function apiKeyRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { tenancy, access } = ctx;
  const view = (k: ApiKeyView) => ({
    id: k.id,
    org: k.org,
    name: k.name,
    role: k.platformOperator ? ('platform-operator' as const) : k.role,
    project: k.project,
    createdBy: k.createdBy,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revoked: k.revoked,
  });

  return async (app) => {
    app.post(
      '/api/orgs/:org/api-keys',
      {
        schema: {
          tags: ['api keys'],
          params: OrgParams,
          body: CreateApiKeyBody,
          response: errorResponses(400, 403, 404),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { org, role: myRole } = requireTenant(req, access, 'admin');
        const asked = req.body.role ?? 'member';
        const platformOperator = asked === 'platform-operator';
        if (platformOperator && !isPlatformOperator(ctx.operators, tenancy, p))
          throw errors.OPERATOR_ROLE_REQUIRED('you are not a platform operator');
        if (platformOperator && req.body.project !== undefined)
          throw errors.VALIDATION('a platform-operator key cannot be scoped to a project');
        // an operator's key is an admin of its org (the route already requires the creator to be one)
        const role = platformOperator ? 'admin' : asked;
        if (!atLeast(myRole, role))
          throw errors.FORBIDDEN('a key cannot have a higher role than its creator');
        const project = req.body.project;
        if (project !== undefined && tenancy.projects.get(project)?.org !== org)
          throw errors.NOT_FOUND(`project ${project}`);
        const c = creation(req, p);
        const id = c.id('k');
        const { key, hash } = newApiKey(id);
        await ctx.tenancyCommand(
          org,
          'apikey',
          id,
          'apikey.create',
          {
            name: req.body.name,
            hash,
            role,
            ...(project ? { project } : {}),
            createdBy: p.userId,
            ...(platformOperator ? { platformOperator: true } : {}),
          },
          c.cmd(1),
        );
        const created = tenancy.apiKeys.get(id);
        if (!created) throw errors.NOT_FOUND(`api key ${id}`);
        return reply.status(201).send({ ...view(created), key: created.hash === hash ? key : null });
      },
    );

    app.get(
      '/api/orgs/:org/api-keys',
      { schema: { tags: ['api keys'], params: OrgParams, response: errorResponses(403, 404) } },
      async (req) => {
        const { org } = requireTenant(req, access, 'admin');
        return { apiKeys: [...tenancy.apiKeys.values()].filter((k) => k.org === org).map(view) };
      },
    );

    app.delete(
      '/api/api-keys/:id',
      { schema: { tags: ['api keys'], params: IdParams, response: errorResponses(403, 404, 409) } },
      async (req, reply) => {
        const p = principal(req);
        const key = tenancy.apiKeys.get(req.params.id);
        if (!key || !access.orgRole(p, key.org)) throw errors.NOT_FOUND(`api key ${req.params.id}`);
        access.requireOrg(p, key.org, 'admin');
        if (!key.revoked) await ctx.tenancyCommand(key.org, 'apikey', key.id, 'apikey.revoke', {});
        return reply.status(204).send();
      },
    );
  };
}
