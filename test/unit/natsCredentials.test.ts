/**
 * The pieces of per-org NATS credentials that need no server: the JWT encoder (a signature the
 * issuer's public key verifies, nats-io/jwt v2's header and claims), the permissions of an org's
 * credential, the replay service's filter check, and MOE_NATS_CREDS handling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { natsAuthOptions } from '../../actors/kernel/index.js';
import {
  decodeJwtClaims,
  encodeJwt,
  initAuthDir,
  isIssuableOrg,
  issueOrgCredentials,
  openAuthDir,
  orgPermissions,
} from '../../gateway/natsCredentials/index.js';
import { filterInsideOrg } from '../../gateway/replayService.js';
import { tempDir } from '../harness/index.js';

describe('NATS JWTs', () => {
  it('are signed by the issuer over header.payload, with a v2 header and claims', () => {
    const account = nkeys.createAccount();
    const user = nkeys.createUser();
    const jwt = encodeJwt(account, { sub: user.getPublicKey(), name: 'u', nats: { type: 'user', subs: -1 } });
    const [h, p, sig] = jwt.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'ed25519-nkey' });
    const claims = decodeJwtClaims(jwt);
    expect(claims).toMatchObject({
      iss: account.getPublicKey(),
      sub: user.getPublicKey(),
      nats: { type: 'user', version: 2 },
    });
    expect(claims.jti).toMatch(/^[A-Z2-7]{52}$/);
    const verifier = nkeys.fromPublic(account.getPublicKey());
    expect(verifier.verify(Buffer.from(`${h}.${p}`), Buffer.from(sig, 'base64url'))).toBe(true);
    expect(verifier.verify(Buffer.from(`${h}.${p}x`), Buffer.from(sig, 'base64url'))).toBe(false);
  });
});

describe("an org's credential", () => {
  it('publishes only its commands (not its tenancy actors) and receives only its own subjects', () => {
    const p = orgPermissions('acme');
    expect(p.pub.allow).toEqual(['moe.cmd.acme.>', 'moe.api.acme.>']);
    expect(p.pub.deny).toEqual(['moe.cmd.acme._tenancy.>']);
    expect(
      p.sub.allow.every((s) => (s.startsWith('moe.') ? s.split('.')[2] === 'acme' : s === '_INBOX_acme.>')),
    ).toBe(true);
    expect(p.responses).toBeUndefined();
  });

  it('is issued only for a real org id, and recorded in the ledger; revocations re-sign the account', () => {
    expect(isIssuableOrg('acme')).toBe(true);
    for (const bad of ['_global', '', 'a.b', 'a*', '>']) expect(isIssuableOrg(bad)).toBe(false);
    const dir = tempDir('moe-auth-unit-');
    try {
      const auth = initAuthDir(dir.path);
      expect(() => initAuthDir(dir.path)).toThrow(/already holds/);
      const issued = issueOrgCredentials(auth, 'acme');
      expect(issued.creds).toMatch(/BEGIN USER NKEY SEED-----\nSU[A-Z2-7]+\n/);
      expect(openAuthDir(dir.path).issued()).toEqual([
        expect.objectContaining({ user: issued.user, org: 'acme' }),
      ]);
      const before = decodeJwtClaims(auth.accountJwt()).iat;
      const after = decodeJwtClaims(auth.signAccount({ [issued.user]: 1 }));
      expect(after.iat).toBeGreaterThan(before);
      expect((after.nats as { revocations?: Record<string, number> }).revocations).toEqual({
        [issued.user]: 1,
      });
      expect(readFileSync(join(dir.path, 'nats-auth.conf'), 'utf8')).toContain(auth.accountJwt());
      expect(readFileSync(join(dir.path, 'nats-auth.k8s.conf'), 'utf8')).toContain('dir: "/data/jwt"');
      expect(() => issueOrgCredentials(auth, '_global')).toThrow(/not an org id/);
    } finally {
      dir.remove();
    }
  });
});

describe('the replay service', () => {
  it('accepts only filters inside moe.evt.<org>.>', () => {
    expect(filterInsideOrg('moe.evt.acme.>', 'acme')).toBe(true);
    expect(filterInsideOrg('moe.evt.acme.w.agent.t1', 'acme')).toBe(true);
    expect(filterInsideOrg('moe.evt.acme.*.agent.*', 'acme')).toBe(true);
    for (const f of [
      'moe.evt.>',
      'moe.evt.*.>',
      'moe.evt.other.>',
      'moe.cmd.acme.>',
      'moe.evt.acme',
      'moe.evt.acme..x',
      'moe.evt.acme.>.x',
    ])
      expect(filterInsideOrg(f, 'acme'), f).toBe(false);
  });
});

describe('MOE_NATS_CREDS', () => {
  it('is optional, and a missing file is a coded error', () => {
    expect(natsAuthOptions({})).toEqual({});
    expect(natsAuthOptions({ MOE_NATS_INBOX_PREFIX: '_INBOX_acme' })).toEqual({ inboxPrefix: '_INBOX_acme' });
    expect(() => natsAuthOptions({ MOE_NATS_CREDS: '/nonexistent/x.creds' })).toThrow(
      expect.objectContaining({ code: 'MOE_ERR_NATS_CREDS_MISSING' }),
    );
  });
});
