/**
 * Webhook signatures: `moe-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
 * keyed by the endpoint's secret. The timestamp is inside what is signed, so a captured request
 * replayed later fails the receiver's window check (default 5 minutes) without the attacker being
 * able to refresh it. docs/billing.md ("Alerts and webhooks") has the receiver's recipe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'moe-signature';
export const EVENT_ID_HEADER = 'moe-event-id';
export const DELIVERY_ID_HEADER = 'moe-delivery-id';
export const DEFAULT_TOLERANCE_SEC = 300;

/** @example const header = signatureHeader(secret, body, Math.floor(Date.now() / 1000)); */
export function signatureHeader(secret: string, body: string, t: number): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * True when `header` signs `body` with `secret` and its timestamp is within `toleranceSec` of
 * `nowSec` (either side, for clock skew). Same arguments as the documented receiver recipe.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  toleranceSec = DEFAULT_TOLERANCE_SEC,
  nowSec = Math.floor(Date.now() / 1000),
): boolean {
  const parts = new Map(
    header.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
