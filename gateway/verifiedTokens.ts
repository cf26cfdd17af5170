/**
 * The claims of user tokens this gateway has already verified, keyed by the token string itself
 * (signature included, so a forged or altered token is never a hit). A client sends the same
 * token on every request: a hit skips the signature check and the base64/JSON decode (about 50 µs
 * per request, measured in the gateway bench). An entry is used only before the token's `exp`,
 * and dropped at its first use after it; the cache holds at most `max` tokens (the oldest
 * verified goes first). Revocation is not cached: authenticate.ts checks it on every request.
 */

/** The claims the gateway reads from a user token. */
export interface TokenClaims {
  readonly sub?: unknown;
  readonly jti?: unknown;
  readonly exp?: unknown;
}

export interface VerifiedTokens {
  /** The token's claims: from the cache while it is unexpired, else from `verify` (which throws on a bad token). */
  claimsOf(token: string, verify: (token: string) => TokenClaims, nowMs?: number): TokenClaims;
  readonly size: number;
}

/** @example const tokens = verifiedTokens(10_000); const claims = tokens.claimsOf(jwt, (t) => app.jwt.verify(t)); */
export function verifiedTokens(max: number): VerifiedTokens {
  const cache = new Map<string, TokenClaims>();
  const expiresAtMs = (c: TokenClaims) => (typeof c.exp === 'number' ? c.exp * 1000 : Infinity);
  return {
    claimsOf(token, verify, nowMs = Date.now()) {
      const hit = cache.get(token);
      if (hit && expiresAtMs(hit) > nowMs) return hit;
      if (hit) cache.delete(token);
      const claims = verify(token);
      if (max > 0 && expiresAtMs(claims) > nowMs) {
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(token, claims);
      }
      return claims;
    },
    get size() {
      return cache.size;
    },
  };
}
