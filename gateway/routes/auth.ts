/** `/auth/*`: register, login (password → JWT), logout (revokes the token on every replica), me. */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GLOBAL_ORG } from '../../schemas/index.js';
import { principal, type GatewayContext } from '../context.js';
import { DUMMY_PASSWORD, hashPassword, userIdForEmail, verifyPassword } from '../crypto.js';
import { errors } from '../errors.js';
import { errorResponses, LoginBody, RegisterBody } from '../httpSchemas.js';

const UserBody = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() });

export function authRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/register',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          security: [],
          body: RegisterBody,
          response: { 201: UserBody, ...errorResponses(409, 413) },
        },
      },
      async (req, reply) => {
        const email = req.body.email.trim().toLowerCase();
        const id = userIdForEmail(email);
        if (ctx.tenancy.users.has(id)) throw errors.EMAIL_TAKEN();
        const password = await hashPassword(req.body.password);
        try {
          await ctx.tenancyCommand(GLOBAL_ORG, 'user', id, 'user.register', {
            email,
            name: req.body.name,
            password,
          });
        } catch (err) {
          if ((err as { code?: string }).code === errors.CONFLICT.spec.code) throw errors.EMAIL_TAKEN();
          throw err;
        }
        return reply.status(201).send({ id, email, name: req.body.name });
      },
    );

    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          security: [],
          body: LoginBody,
          response: {
            200: Type.Object({
              token: Type.String(),
              tokenType: Type.Literal('Bearer'),
              expiresIn: Type.Integer(),
              user: UserBody,
            }),
            ...errorResponses(),
          },
        },
      },
      async (req) => {
        const user = ctx.tenancy.users.get(userIdForEmail(req.body.email));
        const ok = await verifyPassword(req.body.password, user?.password ?? DUMMY_PASSWORD);
        if (!user || !ok) throw errors.BAD_CREDENTIALS();
        const token = app.jwt.sign({ sub: user.id, jti: randomUUID() });
        return {
          token,
          tokenType: 'Bearer' as const,
          expiresIn: ctx.tokenTtlSec,
          user: { id: user.id, email: user.email, name: user.name },
        };
      },
    );

    app.post(
      '/auth/logout',
      { schema: { tags: ['auth'], response: errorResponses() } },
      async (req, reply) => {
        const p = principal(req);
        if (p.kind === 'user') await ctx.revocations.revoke(p.jti, p.exp);
        return reply.status(204).send();
      },
    );

    app.get('/auth/me', { schema: { tags: ['auth'] } }, async (req) => {
      const p = principal(req);
      const u = ctx.tenancy.users.get(p.userId);
      const orgs = ctx.access
        .orgsOf(p)
        .map(({ org, role }) => ({ id: org, name: ctx.tenancy.orgs.get(org)?.name ?? '', role }));
      return {
        user: u ? { id: u.id, email: u.email, name: u.name } : null,
        apiKey: p.kind === 'apikey' ? { id: p.keyId, org: p.org, role: p.role, project: p.project } : null,
        orgs,
      };
    });
  };
}
