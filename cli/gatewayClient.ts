/**
 * The CLI's REST client for commands whose data lives in the gateway (`moe usage`, `moe invoices`,
 * `moe budgets`, `moe webhooks`): one request with a bearer token (a login token or an API key) and
 * a timeout. Errors the gateway answers keep their code (MOE_ERR_NOT_FOUND, MOE_ERR_FORBIDDEN, …);
 * no gateway at the URL, or an answer that is not the expected kind, is MOE_ERR_GATEWAY_UNREACHABLE;
 * a bad --gateway is MOE_ERR_USAGE.
 */
import { MoeError } from '../schemas/index.js';
import { errors } from './errors.js';

export interface GatewayTarget {
  gatewayUrl: string;
  token?: string;
  timeoutMs: number;
}

export type GatewayMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * `method path` on the gateway with an optional JSON body: the parsed JSON answer, the raw text
 * with `as: 'text'`, or undefined for a 204.
 */
export async function gatewayRequest<T>(
  t: GatewayTarget,
  method: GatewayMethod,
  path: string,
  o: { body?: unknown; as?: 'json' | 'text' } = {},
): Promise<T> {
  let base: URL;
  try {
    base = new URL(t.gatewayUrl);
  } catch {
    throw errors.USAGE(`--gateway must be a URL such as http://127.0.0.1:8080, got "${t.gatewayUrl}"`);
  }
  const headers: Record<string, string> = t.token ? { authorization: `Bearer ${t.token}` } : {};
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      signal: AbortSignal.timeout(t.timeoutMs),
    });
  } catch (err) {
    throw errors.GATEWAY_UNREACHABLE(`${base.origin}: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 204) return undefined as T;
  if (res.ok && o.as === 'text') return (await res.text()) as T;
  const body = (await res.json().catch(() => null)) as
    (T & { error?: { code: string; message: string } }) | null;
  if (!res.ok || !body) {
    const e = body?.error;
    if (e) throw new MoeError({ code: e.code, message: e.message, status: res.status });
    throw errors.GATEWAY_UNREACHABLE(`${base.origin} answered ${res.status}`);
  }
  return body;
}

/** GET `path` from the gateway: the parsed JSON body, or the raw text with `as: 'text'`. */
export function gatewayGet<T>(t: GatewayTarget, path: string, as: 'json' | 'text' = 'json'): Promise<T> {
  return gatewayRequest<T>(t, 'GET', path, { as });
}
