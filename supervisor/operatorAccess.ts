/**
 * Who may read the supervisor's dashboard and `/api/status`: the operator. With an operator token
 * (option `operatorToken`, else `MOE_OPERATOR_TOKEN`) a request must carry it — as
 * `Authorization: Bearer <token>` (the gateway's console, scripts) or in the `moe_operator` cookie
 * that `POST /login` sets for a browser. Without a token only loopback clients are served (a
 * laptop's `moe up`); anyone else gets 401. `/healthz` and `/metrics` stay open for probes and
 * scrapers (they carry no tenant data).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const OPERATOR_COOKIE = 'moe_operator';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares in constant time (both sides hashed, so lengths never leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The value of one cookie of a request, or null. */
export function cookieOf(req: FastifyRequest, name: string): string | null {
  const raw = req.headers.cookie;
  if (typeof raw !== 'string') return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  return typeof h === 'string' && /^bearer /i.test(h) ? h.slice(7).trim() : null;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Whether the request is the operator's (see the module comment). */
export function isOperator(req: FastifyRequest, token: string | null): boolean {
  if (token === null) return LOOPBACK.has(req.socket.remoteAddress ?? '');
  const given = bearer(req) ?? cookieOf(req, OPERATOR_COOKIE);
  return given !== null && sameSecret(given, token);
}

/** The operator token from the option, else `MOE_OPERATOR_TOKEN`; null when neither is set. */
export function operatorTokenFrom(option: string | undefined): string | null {
  const t = option ?? process.env.MOE_OPERATOR_TOKEN;
  return t && t.trim() ? t.trim() : null;
}
