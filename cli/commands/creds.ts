/**
 * `moe creds init|issue|revoke|push|list`: the per-org NATS credentials of decentralized auth
 * (docs/deploy.md, "Per-org NATS credentials"). Everything lives in the auth directory
 * (`--dir`, MOE_NATS_AUTH_DIR, default ./moe-nats-auth). `init` and `issue` need no server;
 * `revoke` and `push` send the MOE account's JWT to the running server over the system account,
 * so a revocation takes effect at once, without a restart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeJwtClaims,
  initAuthDir,
  isIssuableOrg,
  issueOrgCredentials,
  openAuthDir,
  pushAccountJwt,
  revokeCredentials,
} from '../../gateway/index.js';
import { errors } from '../errors.js';

/** The auth directory, opened (or created by `init`), with a coded error when it cannot be. */
function authDir(dir: string, create = false): ReturnType<typeof openAuthDir> {
  try {
    return create ? initAuthDir(dir) : openAuthDir(dir);
  } catch (err) {
    throw errors.NATS_AUTH_DIR((err as Error).message);
  }
}

export function credsInitCommand(a: { dir: string }, print: (s: string) => void): number {
  const auth = authDir(a.dir, true);
  print(`NATS auth directory ${a.dir}`);
  print(`  operator   ${auth.operator.getPublicKey()}`);
  print(`  account    ${auth.account.getPublicKey()} (MOE: every stream and bucket)`);
  print(`  server     ${join(a.dir, 'nats-auth.conf')}  (copy it next to nats.conf and include it)`);
  print(`  k8s        ${join(a.dir, 'nats-auth.k8s.conf')}  (the same, resolver on the NATS pods' volume)`);
  print(`  services   ${join(a.dir, 'creds')}/{node,gateway,supervisor}.creds  (MOE_NATS_CREDS)`);
  return 0;
}

export function credsIssueCommand(
  a: { dir: string; org: string; out?: string },
  print: (s: string) => void,
  note: (s: string) => void,
): number {
  if (!isIssuableOrg(a.org))
    throw errors.USAGE(`--org must be an org id (letters, digits, _ and -), got ${JSON.stringify(a.org)}`);
  const issued = issueOrgCredentials(authDir(a.dir), a.org);
  if (a.out) writeFileSync(a.out, issued.creds, { mode: 0o600 });
  else print(issued.creds);
  note(
    `issued ${issued.user} for org ${a.org}${a.out ? ` → ${a.out}` : ''}; connect with inboxPrefix ${issued.inboxPrefix}`,
  );
  return 0;
}

export async function credsRevokeCommand(
  a: { dir: string; org?: string; user?: string; natsUrl: string },
  print: (s: string) => void,
): Promise<number> {
  if (!a.org === !a.user) throw errors.USAGE('moe creds revoke needs exactly one of --org O or --user UKEY');
  const auth = authDir(a.dir);
  const result = await revokeCredentials(auth, a.user ? { user: a.user } : { org: a.org! }, a.natsUrl);
  if (result.revoked.length === 0) throw errors.USAGE(`no credential issued for ${a.user ?? `org ${a.org}`}`);
  for (const u of result.revoked) print(`revoked ${u}`);
  if (!result.pushed) {
    // written for the next start of a server that reads this directory's resolver; live servers still need it
    writeFileSync(join(auth.dir, 'resolver', `${auth.account.getPublicKey()}.jwt`), auth.accountJwt());
    throw errors.NATS_UNREACHABLE(
      `the revocation is recorded but was not pushed to ${a.natsUrl} (${result.pushError}); run \`moe creds push\` when the server answers`,
    );
  }
  print(`pushed to ${a.natsUrl}: effective now`);
  return 0;
}

export async function credsPushCommand(
  a: { dir: string; natsUrl: string },
  print: (s: string) => void,
): Promise<number> {
  const auth = authDir(a.dir);
  await pushAccountJwt(auth, auth.accountJwt(), a.natsUrl).catch((err: unknown) => {
    throw errors.NATS_UNREACHABLE(`${a.natsUrl}: ${(err as Error).message}`);
  });
  print(`pushed the MOE account JWT to ${a.natsUrl}`);
  return 0;
}

export function credsListCommand(a: { dir: string; org?: string }, print: (s: string) => void): number {
  const auth = authDir(a.dir);
  const revocations =
    (decodeJwtClaims(auth.accountJwt()).nats as { revocations?: Record<string, number> }).revocations ?? {};
  for (const e of auth.issued().filter((x) => !a.org || x.org === a.org)) {
    const at = new Date(e.iat * 1000).toISOString();
    print(`${e.user}  ${e.org}  ${at}${revocations[e.user] !== undefined ? '  revoked' : ''}`);
  }
  return 0;
}
