/**
 * `moe gateway [--port N] [--host H]`: the stateless REST/WebSocket gateway on its own, and the
 * helper `moe up` uses to serve it next to the node. MOE_JWT_SECRET signs tokens; without it a
 * random secret is used and tokens do not survive a restart (said so at start).
 */
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { startGateway, type SecretBox, type StartedGateway } from '../../gateway/index.js';
import { standaloneSecretBox } from '../secretsKey.js';
import { processTracing } from '../tracing.js';

export function jwtSecret(print: (s: string) => void): string {
  const configured = process.env.MOE_JWT_SECRET;
  if (configured) return configured;
  print('  note      MOE_JWT_SECRET is not set: using a random secret (tokens end with this process)');
  return randomBytes(36).toString('base64url');
}

export async function serveGateway(
  o: {
    nc?: NatsConnection;
    natsUrl: string;
    port: number;
    host: string;
    /** the console's supervisor and operator token (`moe up` wires its own) */
    supervisorUrl?: string;
    operatorToken?: string;
    /** seals webhook secrets (`moe up`: its data dir's key); default MOE_SECRETS_KEY */
    secretBox?: SecretBox;
  },
  print: (s: string) => void,
): Promise<StartedGateway> {
  return startGateway({
    ...(o.nc ? { nc: o.nc } : { natsUrl: o.natsUrl }),
    port: o.port,
    host: o.host,
    ...(o.supervisorUrl ? { supervisorUrl: o.supervisorUrl } : {}),
    ...(o.operatorToken ? { operatorToken: o.operatorToken } : {}),
    jwtSecret: jwtSecret(print),
    secretBox: o.secretBox ?? standaloneSecretBox(print),
    logger: { level: process.env.MOE_LOG_LEVEL ?? 'warn' },
  });
}

export async function gatewayCommand(
  a: { natsUrl: string; port: number; host: string },
  print: (s: string) => void,
): Promise<number> {
  const tracing = await processTracing('moe-gateway', print);
  const gw = await serveGateway(a, print);
  print(`gateway listening on ${gw.url} (NATS ${a.natsUrl}); OpenAPI at ${gw.url}/docs — Ctrl-C to stop`);
  await new Promise<void>((done) => {
    const onSignal = () =>
      void gw
        .close()
        .then(() => tracing?.shutdown())
        .finally(done);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}
