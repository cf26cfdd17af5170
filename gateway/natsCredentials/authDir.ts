/**
 * The NATS auth directory (`MOE_NATS_AUTH_DIR`): the key material of decentralized auth for one
 * deployment, created once by `moe creds init`. One operator, the system account `SYS`, and one
 * application account `MOE` that holds every stream and bucket (JetStream enabled in its JWT).
 * Isolation between orgs is per user (subject permissions), not per account: the journal and the
 * command stream are shared by design (docs/deploy.md, "Per-org NATS credentials").
 *
 *   operator.nk / operator.jwt   the operator (self-signed); its seed signs account JWTs
 *   sys.nk / sys.jwt             the system account (pushes account updates to the servers)
 *   account.nk / account.jwt     the MOE account; its seed signs user JWTs; account.jwt carries the revocations
 *   resolver/<account>.jwt       the servers' full-resolver directory, pre-filled with both accounts
 *   nats-auth.conf               the server config include (operator, system_account, resolver, preload)
 *   nats-auth.k8s.conf           the same with the resolver on the NATS pod's volume (/data/jwt)
 *   creds/<service>.creds        node, gateway, supervisor and sys credentials
 *   issued.jsonl                 one line per issued org credential: {user, org, name, iat}
 *
 * Seeds are written with mode 0600. Keep the directory secret (a Kubernetes Secret, a vault).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { decodeJwtClaims, encodeJwt, formatCreds, type NatsKeyPair } from './jwt.js';
import { SERVICE_NAMES, servicePermissions, userClaims, type SubjectPermissions } from './permissions.js';

export const DEFAULT_AUTH_DIR = 'moe-nats-auth';

/** MOE_NATS_AUTH_DIR, else ./moe-nats-auth. */
export function authDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MOE_NATS_AUTH_DIR || DEFAULT_AUTH_DIR);
}

export interface AuthDir {
  readonly dir: string;
  readonly operator: NatsKeyPair;
  readonly system: NatsKeyPair;
  readonly account: NatsKeyPair;
  /** the MOE account's current JWT (with its revocations) */
  accountJwt(): string;
  /** re-signs the MOE account JWT with `revocations` merged in; returns it (not yet pushed) */
  signAccount(revocations: Record<string, number>): string;
  /** a user JWT + seed of the MOE account with these permissions, as a `.creds` text */
  issueUser(
    name: string,
    perms: SubjectPermissions,
    expiresAt?: number,
  ): { creds: string; user: string; iat: number };
  /** the issued org credentials, oldest first */
  issued(): Array<{ user: string; org: string; name: string; iat: number }>;
  recordIssued(entry: { user: string; org: string; name: string; iat: number }): void;
}

/** Account limits: unlimited, with JetStream (file and memory) enabled when `jetstream`. */
function accountLimits(jetstream: boolean): Record<string, unknown> {
  return {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
    ...(jetstream
      ? {
          mem_storage: -1,
          disk_storage: -1,
          streams: -1,
          consumer: -1,
          max_ack_pending: -1,
          max_bytes_required: false,
        }
      : {}),
  };
}

const nowSec = () => Math.floor(Date.now() / 1000);
const seedOf = (kp: NatsKeyPair) => new TextDecoder().decode(kp.getSeed());

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

/** A new auth directory; refuses to overwrite one that exists (its keys sign live credentials). */
export function initAuthDir(dir: string): AuthDir {
  if (existsSync(join(dir, 'operator.nk'))) throw new Error(`${dir} already holds NATS operator keys`);
  mkdirSync(join(dir, 'resolver'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'creds'), { recursive: true, mode: 0o700 });
  const operator = nkeys.createOperator();
  const system = nkeys.createAccount();
  const account = nkeys.createAccount();
  const operatorJwt = encodeJwt(operator, {
    sub: operator.getPublicKey(),
    name: 'moe',
    nats: { type: 'operator', system_account: system.getPublicKey() },
  });
  const sysJwt = encodeJwt(operator, {
    sub: system.getPublicKey(),
    name: 'SYS',
    nats: { type: 'account', limits: accountLimits(false), default_permissions: { pub: {}, sub: {} } },
  });
  writeSecret(join(dir, 'operator.nk'), seedOf(operator));
  writeSecret(join(dir, 'sys.nk'), seedOf(system));
  writeSecret(join(dir, 'account.nk'), seedOf(account));
  writeFileSync(join(dir, 'operator.jwt'), operatorJwt);
  writeFileSync(join(dir, 'sys.jwt'), sysJwt);
  writeFileSync(join(dir, 'resolver', `${system.getPublicKey()}.jwt`), sysJwt);
  const auth = openAuthDir(dir, { operator, system, account });
  const accountJwt = auth.signAccount({});
  writeFileSync(join(dir, 'resolver', `${account.getPublicKey()}.jwt`), accountJwt);
  for (const service of SERVICE_NAMES) {
    writeSecret(
      join(dir, 'creds', `${service}.creds`),
      auth.issueUser(service, servicePermissions(service)).creds,
    );
  }
  // the system account's user: only for pushing account updates ($SYS.REQ.CLAIMS.UPDATE)
  const sysUser = nkeys.createUser();
  const sysUserJwt = encodeJwt(system, {
    sub: sysUser.getPublicKey(),
    name: 'sys',
    nats: userClaims({ pub: { allow: ['$SYS.REQ.>', '_INBOX.>'] }, sub: { allow: ['_INBOX.>'] } }),
  });
  writeSecret(join(dir, 'creds', 'sys.creds'), formatCreds(sysUserJwt, seedOf(sysUser)));
  return auth;
}

/** Where the Kubernetes NATS pods keep the resolver's JWTs: on their PersistentVolume (deploy/k8s). */
export const K8S_RESOLVER_DIR = '/data/jwt';

/**
 * The nats-server config include: trust the operator (its JWT inline), the system account, a full
 * resolver in `resolverDir`, preloaded with both account JWTs. A preload never replaces a newer JWT
 * the resolver already holds (nats-server keeps the newer one), so a restarted server keeps the
 * revocations pushed to it since.
 */
export function serverConfInclude(auth: AuthDir, resolverDir: string): string {
  const read = (f: string) => readFileSync(join(auth.dir, f), 'utf8').trim();
  return [
    '# MOE-Agents decentralized auth, generated by `moe creds` (docs/deploy.md, "Per-org NATS credentials").',
    '# Include it from nats.conf (`include ./nats-auth.conf`: include paths are relative to nats.conf).',
    `operator: ${read('operator.jwt')}`,
    `system_account: ${auth.system.getPublicKey()}`,
    'resolver: {',
    '  type: full',
    `  dir: ${JSON.stringify(resolverDir)}`,
    '  allow_delete: false',
    '  interval: "2m"',
    '}',
    'resolver_preload: {',
    `  ${auth.system.getPublicKey()}: ${read('sys.jwt')}`,
    `  ${auth.account.getPublicKey()}: ${auth.accountJwt()}`,
    '}',
    '',
  ].join('\n');
}

/** nats-auth.conf (resolver in the auth directory) and nats-auth.k8s.conf (resolver on the pod's volume). */
export function writeServerConfs(auth: AuthDir): void {
  writeFileSync(join(auth.dir, 'nats-auth.conf'), serverConfInclude(auth, join(auth.dir, 'resolver')));
  writeFileSync(join(auth.dir, 'nats-auth.k8s.conf'), serverConfInclude(auth, K8S_RESOLVER_DIR));
}

/** Opens an existing auth directory (keys from its seed files). */
export function openAuthDir(
  dir: string,
  keys?: { operator: NatsKeyPair; system: NatsKeyPair; account: NatsKeyPair },
): AuthDir {
  const load = (f: string) => {
    const path = join(dir, f);
    if (!existsSync(path))
      throw new Error(`${path} is missing: run \`moe creds init\` (MOE_NATS_AUTH_DIR=${dir})`);
    return nkeys.fromSeed(new TextEncoder().encode(readFileSync(path, 'utf8').trim()));
  };
  const operator = keys?.operator ?? load('operator.nk');
  const system = keys?.system ?? load('sys.nk');
  const account = keys?.account ?? load('account.nk');
  const accountPath = join(dir, 'account.jwt');
  const ledger = join(dir, 'issued.jsonl');
  const auth: AuthDir = {
    dir,
    operator,
    system,
    account,
    accountJwt: () => readFileSync(accountPath, 'utf8').trim(),
    signAccount(revocations) {
      const previous = existsSync(accountPath) ? decodeJwtClaims(auth.accountJwt()) : null;
      const merged = {
        ...((previous?.nats as { revocations?: Record<string, number> } | undefined)?.revocations ?? {}),
        ...revocations,
      };
      // strictly newer than the JWT the servers hold, or they keep the old one
      const iat = Math.max(nowSec(), (previous?.iat ?? 0) + 1);
      const jwt = encodeJwt(operator, {
        sub: account.getPublicKey(),
        name: 'MOE',
        iat,
        nats: {
          type: 'account',
          limits: accountLimits(true),
          default_permissions: { pub: {}, sub: {} },
          ...(Object.keys(merged).length > 0 ? { revocations: merged } : {}),
        },
      });
      writeFileSync(accountPath, jwt);
      if (existsSync(join(dir, 'sys.jwt'))) writeServerConfs(auth);
      return jwt;
    },
    issueUser(name, perms, expiresAt) {
      const user = nkeys.createUser();
      const iat = nowSec();
      const jwt = encodeJwt(account, {
        sub: user.getPublicKey(),
        name,
        iat,
        ...(expiresAt !== undefined ? { exp: expiresAt } : {}),
        nats: userClaims(perms),
      });
      return { creds: formatCreds(jwt, seedOf(user)), user: user.getPublicKey(), iat };
    },
    issued() {
      if (!existsSync(ledger)) return [];
      return readFileSync(ledger, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { user: string; org: string; name: string; iat: number });
    },
    recordIssued(entry) {
      appendFileSync(ledger, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    },
  };
  return auth;
}
