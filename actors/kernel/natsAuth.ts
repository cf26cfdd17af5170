/**
 * How every platform process authenticates to NATS: `MOE_NATS_CREDS` names a `.creds` file (a
 * decentralized-auth user JWT and its nkey seed, from `moe creds init` / `moe creds issue`); unset,
 * the connection is anonymous (the embedded `moe up` server on loopback, or a server without auth).
 * `MOE_NATS_INBOX_PREFIX` sets the client's inbox prefix (an org credential may only receive on
 * `_INBOX_<org>.>`; platform credentials use the default `_INBOX`).
 *
 * The file is read again on every (re)connect, so a rotated file is picked up without a restart.
 *
 * @example const nc = await connect({ servers, ...natsAuthOptions() });
 */
import { existsSync, readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { kernelErrors } from './errors.js';

export function natsAuthOptions(env: NodeJS.ProcessEnv = process.env): Partial<ConnectionOptions> {
  const path = env.MOE_NATS_CREDS;
  const inboxPrefix = env.MOE_NATS_INBOX_PREFIX;
  const out: Partial<ConnectionOptions> = inboxPrefix ? { inboxPrefix } : {};
  if (!path) return out;
  if (!existsSync(path)) throw kernelErrors.NATS_CREDS_MISSING(path);
  return { ...out, authenticator: credsAuthenticator(() => readFileSync(path)) };
}
