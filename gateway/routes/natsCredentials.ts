/**
 * Per-org NATS credentials for org admins: issue a `.creds` file confined to the org's subjects
 * (returned once; the gateway keeps only the user's public key in the auth directory's ledger),
 * list the issued ones, revoke one (effective at once on the running servers). Available when the
 * gateway has the auth directory (MOE_NATS_AUTH_DIR); otherwise 501 MOE_ERR_NATS_AUTH_NOT_CONFIGURED.
 * docs/deploy.md, "Per-org NATS credentials".
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { errorResponses, OrgParams } from '../httpSchemas.js';
import { issueOrgCredentials, orgOfUser, revokeCredentials, type AuthDir } from '../natsCredentials/index.js';
import { requireTenant } from '../requestOrg.js';

const UserParams = Type.Object({
  org: OrgParams.properties.org,
  user: Type.String({ pattern: '^U[A-Z2-7]{55}$' }),
});

export function natsCredentialRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access } = ctx;
  const authDir = (): AuthDir => {
    if (!ctx.natsAuth) throw errors.NATS_AUTH_NOT_CONFIGURED();
    return ctx.natsAuth.dir;
  };
  return async (app) => {
    app.post(
      '/api/orgs/:org/nats-credentials',
      { schema: { tags: ['nats credentials'], params: OrgParams, response: errorResponses(403, 404, 501) } },
      async (req, reply) => {
        const { org } = requireTenant(req, access, 'admin');
        const issued = issueOrgCredentials(authDir(), org);
        return reply.status(201).send({
          org,
          user: issued.user,
          inboxPrefix: issued.inboxPrefix,
          issuedAt: new Date(issued.issuedAt * 1000).toISOString(),
          creds: issued.creds,
        });
      },
    );

    app.get(
      '/api/orgs/:org/nats-credentials',
      { schema: { tags: ['nats credentials'], params: OrgParams, response: errorResponses(403, 404, 501) } },
      async (req) => {
        const { org } = requireTenant(req, access, 'admin');
        const auth = authDir();
        const revoked = revokedUsers(auth);
        return {
          credentials: auth
            .issued()
            .filter((e) => e.org === org)
            .map((e) => ({
              user: e.user,
              issuedAt: new Date(e.iat * 1000).toISOString(),
              revoked: revoked.has(e.user),
            })),
        };
      },
    );

    app.delete(
      '/api/orgs/:org/nats-credentials/:user',
      { schema: { tags: ['nats credentials'], params: UserParams, response: errorResponses(403, 404, 501) } },
      async (req, reply) => {
        const { org } = requireTenant(req, access, 'admin');
        const auth = authDir();
        if (orgOfUser(auth, req.params.user) !== org)
          throw errors.NOT_FOUND(`NATS credential ${req.params.user}`);
        const result = await revokeCredentials(
          auth,
          { user: req.params.user },
          ctx.natsAuth?.natsUrl ?? null,
        );
        if (!result.pushed) req.log.warn({ err: result.pushError }, 'revocation not pushed to NATS');
        return reply.status(204).send();
      },
    );
  };
}

function revokedUsers(auth: AuthDir): Set<string> {
  const claims = JSON.parse(Buffer.from(auth.accountJwt().split('.')[1] ?? '', 'base64url').toString()) as {
    nats?: { revocations?: Record<string, number> };
  };
  return new Set(Object.keys(claims.nats?.revocations ?? {}));
}
