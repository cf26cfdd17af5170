/**
 * Issuing and revoking per-org NATS credentials: a user of the MOE account confined to one org's
 * subjects (permissions.ts), recorded in the auth directory's ledger. Revoking adds the user keys to
 * the MOE account JWT's `revocations`, re-signs it and pushes it to the running servers over the
 * system account (`$SYS.REQ.CLAIMS.UPDATE`): the server closes the revoked connections and refuses
 * new ones at once, with no restart.
 *
 * @example
 *   const { creds } = issueOrgCredentials(openAuthDir(dir), 'acme');
 *   await revokeCredentials(openAuthDir(dir), { org: 'acme' }, 'nats://127.0.0.1:4222');
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { isToken } from '../../schemas/index.js';
import type { AuthDir } from './authDir.js';
import { orgInboxPrefix, orgPermissions } from './permissions.js';

export interface IssuedCredentials {
  readonly org: string;
  /** the user's public nkey: what `revoke` takes */
  readonly user: string;
  /** the `.creds` file's text (JWT + seed): a secret */
  readonly creds: string;
  /** the `inboxPrefix` the client must connect with */
  readonly inboxPrefix: string;
  readonly issuedAt: number;
}

/** An org id a credential can be issued for: a subject token, not a reserved `_…` one. */
export function isIssuableOrg(org: string): boolean {
  return isToken(org) && !org.startsWith('_');
}

export function issueOrgCredentials(
  auth: AuthDir,
  org: string,
  opts: { expiresAt?: number } = {},
): IssuedCredentials {
  if (!isIssuableOrg(org))
    throw new Error(`not an org id a credential can be issued for: ${JSON.stringify(org)}`);
  const name = `org-${org}`;
  const { creds, user, iat } = auth.issueUser(name, orgPermissions(org), opts.expiresAt);
  auth.recordIssued({ user, org, name, iat });
  return { org, user, creds, inboxPrefix: orgInboxPrefix(org), issuedAt: iat };
}

/** The org a user key was issued for (the ledger), or null. */
export function orgOfUser(auth: AuthDir, user: string): string | null {
  return auth.issued().find((e) => e.user === user)?.org ?? null;
}

export interface RevokeResult {
  readonly revoked: readonly string[];
  /** true when a server accepted the new account JWT (false: none reachable; it applies at the next start) */
  readonly pushed: boolean;
  readonly pushError?: string;
}

/**
 * Revokes one user key, or every credential issued for an org, effective immediately on the
 * server at `natsUrl` (and, in a cluster, on every server: the update is gossiped by the resolver).
 */
export async function revokeCredentials(
  auth: AuthDir,
  what: { user?: string; org?: string },
  natsUrl: string | null,
): Promise<RevokeResult> {
  const users = what.user
    ? [what.user]
    : auth
        .issued()
        .filter((e) => e.org === what.org)
        .map((e) => e.user);
  if (users.length === 0) return { revoked: [], pushed: false, pushError: 'nothing to revoke' };
  const at = Math.floor(Date.now() / 1000);
  const jwt = auth.signAccount(Object.fromEntries(users.map((u) => [u, at])));
  if (!natsUrl) return { revoked: users, pushed: false };
  try {
    await pushAccountJwt(auth, jwt, natsUrl);
    return { revoked: users, pushed: true };
  } catch (err) {
    return { revoked: users, pushed: false, pushError: (err as Error).message };
  }
}

/** Sends an account JWT to the servers with the system account's credential; throws on refusal. */
export async function pushAccountJwt(auth: AuthDir, jwt: string, natsUrl: string): Promise<void> {
  const nc = await connect({
    servers: natsUrl,
    timeout: 3000,
    maxReconnectAttempts: 0,
    authenticator: credsAuthenticator(readFileSync(join(auth.dir, 'creds', 'sys.creds'))),
  });
  try {
    const reply = await nc.request('$SYS.REQ.CLAIMS.UPDATE', new TextEncoder().encode(jwt), {
      timeout: 3000,
    });
    const body = reply.json<{ error?: { description?: string; code?: number } }>();
    if (body.error)
      throw new Error(`the server refused the account update: ${body.error.description ?? body.error.code}`);
  } finally {
    await nc.close();
  }
}
