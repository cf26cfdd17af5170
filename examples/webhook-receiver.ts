/**
 * A MOE-Agents webhook receiver in plain Node (no MOE-Agents code): verifies the `moe-signature`
 * header — `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed by the endpoint's
 * secret — refuses requests older than the replay window, and dedupes on `moe-event-id`
 * (a delivery can arrive twice: HTTP is at-least-once). docs/billing.md, "Alerts and webhooks".
 *
 *   MOE_WEBHOOK_SECRET=whsec_… PORT=8787 npx tsx examples/webhook-receiver.ts
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

/** True when `header` signs `rawBody` with `secret` and is at most `toleranceSec` old (or early). */
export function verifyMoeSignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  toleranceSec = 300,
  nowSec = Math.floor(Date.now() / 1000),
): boolean {
  const fields = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(fields.get('t'));
  const v1 = fields.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const secret = process.env.MOE_WEBHOOK_SECRET ?? '';
  const seen = new Set<string>(); // use a database with a unique key on the event id in production
  createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (!verifyMoeSignature(secret, req.headers['moe-signature'] as string | undefined, body)) {
        res.writeHead(401).end();
        return;
      }
      const id = String(req.headers['moe-event-id']);
      if (!seen.has(id)) {
        seen.add(id);
        process.stdout.write(`${body}\n`); // handle the event: JSON.parse(body)
      }
      res.writeHead(204).end();
    });
  }).listen(Number(process.env.PORT ?? 8787));
}
