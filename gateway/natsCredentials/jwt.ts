/**
 * A minimal encoder for NATS decentralized-auth JWTs (operator, account and user claims, version 2),
 * on top of the nkeys the NATS client already ships: header `{"typ":"JWT","alg":"ed25519-nkey"}`,
 * claims with `jti` = base32(sha512/256(claims without jti)), and an ed25519 signature by the
 * issuer's nkey over `header.payload`, all base64url. nats-server 2.9 verifies exactly this; the
 * format is nats-io/jwt v2's. Also the `.creds` file a client passes to `credsAuthenticator`.
 *
 * @example
 *   const jwt = encodeJwt(accountKey, { sub: userKey.getPublicKey(), name: 'org-acme', nats: { type: 'user', … } });
 */
import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

export type NatsKeyPair = ReturnType<typeof nkeys.createUser>;

export interface NatsClaims {
  readonly sub: string;
  readonly name: string;
  /** seconds since the epoch; defaults to now */
  readonly iat?: number;
  /** seconds since the epoch; omitted = never expires */
  readonly exp?: number;
  readonly nats: Record<string, unknown> & { readonly type: 'operator' | 'account' | 'user' };
}

const HEADER = { typ: 'JWT', alg: 'ed25519-nkey' };
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (Go's base32.StdEncoding.WithPadding(NoPadding)). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const b64url = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

/** Signs `claims` with `issuer` (the operator for operator/account JWTs, the account for users). */
export function encodeJwt(issuer: NatsKeyPair, claims: NatsClaims): string {
  const body: Record<string, unknown> = {
    iat: claims.iat ?? Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name: claims.name,
    sub: claims.sub,
    ...(claims.exp !== undefined ? { exp: claims.exp } : {}),
    nats: { ...claims.nats, version: 2 },
  };
  body.jti = base32(createHash('sha512-256').update(JSON.stringify(body)).digest());
  const signing = `${b64url(JSON.stringify(HEADER))}.${b64url(JSON.stringify(body))}`;
  return `${signing}.${b64url(issuer.sign(Buffer.from(signing)))}`;
}

/** The claims of a JWT, unverified (for reading back what we wrote ourselves). */
export function decodeJwtClaims(
  jwt: string,
): Record<string, unknown> & NatsClaims & { iss: string; iat: number } {
  const payload = jwt.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ReturnType<typeof decodeJwtClaims>;
}

/** The text of a `.creds` file: the user JWT and its nkey seed, in the framing every NATS client reads. */
export function formatCreds(userJwt: string, userSeed: string): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    userSeed,
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
    '',
  ].join('\n');
}
