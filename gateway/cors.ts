/**
 * Cross-origin requests from browsers (seed 002 §2.1, "CORS handling"). Off by default: the
 * gateway's own pages (the console, the OpenAPI UI) are same-origin, and an API that bearer tokens
 * unlock has no reason to answer every web page. An operator lists the web origins whose pages may
 * call the API (`MOE_CORS_ORIGINS=https://app.example.com,https://admin.example.com`, or `*` for
 * any), and `@fastify/cors` then answers their preflight requests before authentication (a browser
 * sends no `Authorization` on a preflight) and marks every answer to them, errors included, as
 * readable. Credentials are never allowed cross-origin: a page sends its token in `Authorization`
 * or `x-api-key`, so the console's session cookie is useless to another origin.
 */
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Request headers a cross-origin page may send (what the API reads). */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'idempotency-key',
  'last-event-id',
  'traceparent',
  'tracestate',
] as const;

/** Response headers a cross-origin page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['retry-after', 'x-trace-id', 'content-disposition'] as const;

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_S = 600;

/** `*`, or origins as browsers send them: `scheme://host[:port]`, no path, no trailing slash. */
export type CorsOrigins = '*' | readonly string[];

/** Why `origin` is not an origin a browser would send, or null when it is one. */
function originProblem(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `${JSON.stringify(origin)} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${JSON.stringify(origin)} is not an http(s) origin`;
  if (url.origin !== origin)
    return `${JSON.stringify(origin)} is not an origin as browsers send it (that would be ${JSON.stringify(url.origin)}: scheme://host[:port], no path, no trailing slash)`;
  return null;
}

/**
 * `MOE_CORS_ORIGINS` (or the `corsOrigins` option): comma-separated origins, or `*`. Empty or
 * unset: [] (CORS off). Throws an Error naming the variable and the bad entry.
 */
export function parseCorsOrigins(
  raw: string | readonly string[] | undefined,
  name = 'MOE_CORS_ORIGINS',
): CorsOrigins {
  const entries = (typeof raw === 'string' ? raw.split(',') : (raw ?? []))
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.includes('*')) {
    if (entries.length > 1)
      throw new Error(`${name}: '*' allows every origin and cannot be listed with others`);
    return '*';
  }
  for (const e of entries) {
    const problem = originProblem(e);
    if (problem !== null) throw new Error(`${name}: ${problem}`);
  }
  return [...new Set(entries)];
}

/** The plugin's options for `origins`. */
export function corsOptions(origins: CorsOrigins): FastifyCorsOptions {
  return {
    origin: origins === '*' ? '*' : [...origins],
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: CORS_MAX_AGE_S,
    // an OPTIONS without Origin is no preflight: answered like any other, not with the plugin's
    // plain-text 400
    strictPreflight: false,
  };
}

/** Registers CORS on `app` when `origins` lists any; before the authentication hook. */
export async function registerCors(app: FastifyInstance, origins: CorsOrigins): Promise<boolean> {
  if (origins !== '*' && origins.length === 0) return false;
  await app.register(fastifyCors, corsOptions(origins));
  return true;
}
