/**
 * Webhook delivery settings, from the environment (validated once at gateway start):
 *
 *   MOE_WEBHOOK_MAX_ATTEMPTS     tries before a delivery is dead-lettered (default 8)
 *   MOE_WEBHOOK_BACKOFF_MS       wait after the first failure; doubles each time (default 1000)
 *   MOE_WEBHOOK_BACKOFF_MAX_MS   the longest wait between tries (default 600000 = 10 min)
 *   MOE_WEBHOOK_TIMEOUT_MS       per attempt, request to response (default 10000)
 *   MOE_WEBHOOKS                 0 turns delivery off on this gateway (routes still work)
 */

export interface WebhookConfig {
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly timeoutMs: number;
}

export const DEFAULT_WEBHOOK_CONFIG: WebhookConfig = {
  maxAttempts: 8,
  backoffMs: 1000,
  backoffMaxMs: 600_000,
  timeoutMs: 10_000,
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export function webhookConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  return {
    maxAttempts: int(env, 'MOE_WEBHOOK_MAX_ATTEMPTS', DEFAULT_WEBHOOK_CONFIG.maxAttempts),
    backoffMs: int(env, 'MOE_WEBHOOK_BACKOFF_MS', DEFAULT_WEBHOOK_CONFIG.backoffMs),
    backoffMaxMs: int(env, 'MOE_WEBHOOK_BACKOFF_MAX_MS', DEFAULT_WEBHOOK_CONFIG.backoffMaxMs),
    timeoutMs: int(env, 'MOE_WEBHOOK_TIMEOUT_MS', DEFAULT_WEBHOOK_CONFIG.timeoutMs),
  };
}

/** The wait after failed attempt `n` (1-based): backoff × 2^(n-1), at most backoffMaxMs. */
export function backoffAfter(config: WebhookConfig, n: number): number {
  return Math.min(config.backoffMaxMs, config.backoffMs * 2 ** Math.min(30, n - 1));
}
