/**
 * Turns a request's credentials into a {@link Principal}: `Authorization: Bearer <jwt>` (a user
 * session from /auth/login, its signature checked once and its claims kept until it expires:
 * verifiedTokens.ts) or `Bearer moe_…` / `x-api-key: moe_…` (an API key). Browsers cannot
 * set headers on WebSocket/EventSource, so `?access_token=` is accepted too. Revoked JWTs (logout,
 * checked against a cache with bounded staleness: revocations.ts) and revoked or unknown keys are 401, and so is a key whose creator is no longer a member of the
 * key's org (a key acts for its creator; see access.ts). A key's role is capped at its creator's
 * current role. Key last-use is journaled at most once a minute per key.
 */
import type { FastifyRequest } from 'fastify';
import { lowerRole, type Principal } from './access.js';
import { constantTimeEqualHex, parseApiKey, sha256Hex } from './crypto.js';
import { errors } from './errors.js';
import type { GatewayContext } from './context.js';
import { verifiedTokens, type TokenClaims } from './verifiedTokens.js';

const TOUCH_EVERY_MS = 60_000;
/** verified user tokens kept (verifiedTokens.ts) */
const VERIFIED_TOKENS_MAX = 10_000;

function credential(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && /^bearer /i.test(h)) return h.slice(7).trim();
  const k = req.headers['x-api-key'];
  if (typeof k === 'string' && k) return k.trim();
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' && q ? q : null;
}

/** `given`: a credential found elsewhere than the request's headers (the console's cookie). */
export function authenticator(
  ctx: GatewayContext,
): (req: FastifyRequest, given?: string | null) => Promise<Principal> {
  const lastTouch = new Map<string, number>();
  const tokens = verifiedTokens(VERIFIED_TOKENS_MAX);

  const touch = (keyId: string, org: string) => {
    const now = Date.now();
    if (now - (lastTouch.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
    lastTouch.set(keyId, now);
    ctx.tenancyCommand(org, 'apikey', keyId, 'apikey.touch', {}).catch(() => lastTouch.delete(keyId));
  };

  return async (req, given) => {
    const cred = given ?? credential(req);
    if (!cred) throw errors.UNAUTHENTICATED('no credentials');
    if (cred.startsWith('moe_')) {
      const parsed = parseApiKey(cred);
      const key = parsed ? ctx.tenancy.apiKeys.get(parsed.keyId) : undefined;
      if (!key || key.revoked || !constantTimeEqualHex(key.hash, sha256Hex(cred)))
        throw errors.UNAUTHENTICATED('bad API key');
      const creatorRole = ctx.tenancy.orgs.get(key.org)?.members.get(key.createdBy);
      if (!creatorRole) throw errors.UNAUTHENTICATED("API key's creator is no longer a member of its org");
      touch(key.id, key.org);
      return {
        kind: 'apikey',
        keyId: key.id,
        userId: key.createdBy,
        org: key.org,
        role: lowerRole(key.role, creatorRole),
        project: key.project,
      };
    }
    let claims: TokenClaims;
    try {
      claims = tokens.claimsOf(cred, (token) => req.server.jwt.verify<TokenClaims>(token));
    } catch (cause) {
      throw errors.UNAUTHENTICATED('bad or expired token', { cause });
    }
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string')
      throw errors.UNAUTHENTICATED('bad token claims');
    if (!ctx.tenancy.users.has(claims.sub)) throw errors.UNAUTHENTICATED('unknown user');
    // from memory while the cache is fresh; fails closed (503) when it cannot be checked
    if (await ctx.revocations.isRevoked(claims.jti)) throw errors.UNAUTHENTICATED('token revoked');
    return {
      kind: 'user',
      userId: claims.sub,
      jti: claims.jti,
      exp: typeof claims.exp === 'number' ? claims.exp : 0,
    };
  };
}
