/** `GET /api/agents`: the agents configured in the projects the caller can see (or in one project). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principal, type GatewayContext } from '../context.js';
import { AgentsQuery, errorResponses } from '../httpSchemas.js';

export function agentRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, tenancy } = ctx;
  return async (app) => {
    app.get(
      '/api/agents',
      { schema: { tags: ['agents'], querystring: AgentsQuery, response: errorResponses(404) } },
      async (req) => {
        const p = principal(req);
        const projects =
          req.query.project !== undefined
            ? [access.requireProject(p, req.query.project).project]
            : [...tenancy.projects.values()].filter((x) => access.canSeeProject(p, x));
        return {
          agents: projects.flatMap((x) =>
            x.agents.map((a) => ({ ...a, project: x.id, workspace: x.workspace, org: x.org })),
          ),
        };
      },
    );
  };
}
