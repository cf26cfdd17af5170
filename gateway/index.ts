/**
 * The gateway's public door: build it (for tests: `app.inject`) or start it on a port.
 *
 * Resolves once listening, with the tenancy and usage projections rebuilt from the journal (each
 * waits at most ~10 s; `/readyz` reports when they are caught up). A given `nc` is shared, never closed.
 *
 * @example
 *   const gw = await startGateway({ natsUrl: 'nats://127.0.0.1:4222', port: 8080, jwtSecret: process.env.MOE_JWT_SECRET! });
 *   // or, sharing `moe up`'s connection: startGateway({ nc, port: 8080, host: '0.0.0.0', jwtSecret })
 *   await gw.close();
 */
import { buildGateway, type Gateway, type GatewayOptions } from './server.js';

export {
  buildGateway,
  toMoeError,
  DEFAULT_RATE_LIMITS,
  REVOKED_BUCKET,
  type Gateway,
  type GatewayOptions,
  type RateLimits,
} from './server.js';
export { errors } from './errors.js';
export { escalationId, startEscalationRouter, type EscalatedWebhook } from './escalationRouter.js';
export {
  decodeJwtClaims,
  initAuthDir,
  isIssuableOrg,
  issueOrgCredentials,
  openAuthDir,
  authDirFromEnv,
  pushAccountJwt,
  revokeCredentials,
} from './natsCredentials/index.js';
export { newTaskId, parseTaskId } from './crypto.js';
export {
  keyIdOf,
  parseSecretsKey,
  secretBox,
  secretBoxFromEnv,
  type SecretBox,
} from './webhooks/secretBox.js';
export { RATE_LIMIT_BUCKET, type RateLimitRule } from './rateLimit.js';
export { CORS_MAX_AGE_S, parseCorsOrigins, type CorsOrigins } from './cors.js';
export type { Principal } from './access.js';
export type { StreamEvent } from './streams.js';
// usage analytics (the billing route and bench/usageQuery.ts use these)
export { UsageProjection, type UsageTotals } from './usageProjection.js';
export { queryUsage, GROUP_BY, type UsageGroupBy, type UsageAnswer } from './usageQuery.js';

export interface StartedGateway extends Gateway {
  /** the URL it listens on, e.g. http://127.0.0.1:8080 */
  readonly url: string;
}

/** Builds the gateway and listens (default host 0.0.0.0, port 8080; port 0 picks a free one). */
export async function startGateway(
  opts: GatewayOptions & { port?: number; host?: string },
): Promise<StartedGateway> {
  const gw = await buildGateway(opts);
  const url = await gw.app.listen({ port: opts.port ?? 8080, host: opts.host ?? '0.0.0.0' });
  return { ...gw, url };
}
