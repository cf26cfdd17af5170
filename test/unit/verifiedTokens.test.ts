/**
 * The verified-token cache of the gateway: a token is verified once and its claims served from
 * memory until its `exp`; an expired one goes back to the verifier (which refuses it), a
 * different token string (an altered signature) is never a hit, and the cache stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { verifiedTokens, type TokenClaims } from '../../gateway/verifiedTokens.js';

const NOW = 1_800_000_000_000;

function verifier(valid: Record<string, TokenClaims>) {
  const calls: string[] = [];
  const verify = (t: string): TokenClaims => {
    calls.push(t);
    const c = valid[t];
    if (!c) throw new Error('bad signature');
    return c;
  };
  return { verify, calls };
}

describe('verifiedTokens', () => {
  it('verifies a token once and serves its claims until it expires', () => {
    const claims = { sub: 'u1', jti: 'j1', exp: NOW / 1000 + 60 };
    const { verify, calls } = verifier({ tok: claims });
    const cache = verifiedTokens(10);
    expect(cache.claimsOf('tok', verify, NOW)).toBe(claims);
    expect(cache.claimsOf('tok', verify, NOW + 1_000)).toBe(claims);
    expect(calls).toEqual(['tok']);
    // past exp: verified again (a real verifier throws there)
    cache.claimsOf('tok', verify, NOW + 61_000);
    expect(calls).toEqual(['tok', 'tok']);
  });

  it('never answers an altered token from the cache, and does not keep refused ones', () => {
    const { verify, calls } = verifier({ tok: { sub: 'u1', jti: 'j1', exp: NOW / 1000 + 60 } });
    const cache = verifiedTokens(10);
    cache.claimsOf('tok', verify, NOW);
    expect(() => cache.claimsOf('tok-altered', verify, NOW)).toThrow('bad signature');
    expect(() => cache.claimsOf('tok-altered', verify, NOW)).toThrow('bad signature');
    expect(calls).toEqual(['tok', 'tok-altered', 'tok-altered']);
    expect(cache.size).toBe(1);
  });

  it('holds at most max tokens, dropping the oldest verified', () => {
    const valid: Record<string, TokenClaims> = {};
    for (let i = 0; i < 5; i++) valid[`t${i}`] = { sub: 'u', jti: `j${i}`, exp: NOW / 1000 + 60 };
    const { verify, calls } = verifier(valid);
    const cache = verifiedTokens(3);
    for (let i = 0; i < 5; i++) cache.claimsOf(`t${i}`, verify, NOW);
    expect(cache.size).toBe(3);
    calls.length = 0;
    cache.claimsOf('t4', verify, NOW);
    cache.claimsOf('t0', verify, NOW);
    expect(calls).toEqual(['t0']);
  });
});
