/**
 * `Idempotency-Key` on POST routes that create things. Without the header ids are random. With it,
 * the new resource's id and every command id the route sends are derived from (caller, route,
 * params, key): a retry addresses the same actor with the same command ids, which JetStream's
 * duplicate window and the kernel's per-actor command dedupe (forever) turn into no-ops, and the
 * route answers from the journal turn of the first attempt. Same key + same caller → same
 * resource, never a second one. Another caller's identical key is a different request, and so is
 * the same caller's key aimed at another org (an `org` in the body or query, or an API key's org):
 * a key reused across orgs must never answer with, or touch, the first org's resource.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { newCommandId } from './commandId.js';
import { newId } from './crypto.js';
import { errors } from './errors.js';
import type { Principal } from './principal.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_RE = /^[\x20-\x7e]{1,200}$/;

type IdPrefix = Parameters<typeof newId>[0];

export interface Creation {
  /** true when the request carried an Idempotency-Key (ids below are then derived from it) */
  readonly keyed: boolean;
  /** the id of the resource to create: `<prefix><16 hex>`, like {@link newId} */
  id(prefix: IdPrefix): string;
  /** the command id of step `n` of the route (each command a route sends gets its own step) */
  cmd(step: number): string;
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * @example
 *   const c = creation(req, p);
 *   const id = c.id('w');
 *   await ctx.tenancyCommand(org, 'workspace', id, 'workspace.create', data, c.cmd(1));
 */
export function creation(req: FastifyRequest, p: Principal): Creation {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return { keyed: false, id: (prefix) => newId(prefix), cmd: () => newCommandId() };
  if (typeof raw !== 'string' || !KEY_RE.test(raw)) throw errors.IDEMPOTENCY_KEY();
  const caller = p.kind === 'user' ? `user:${p.userId}` : `key:${p.keyId}:org:${p.org}:user:${p.userId}`;
  const seed = hex(
    [
      caller,
      `org:${targetOrg(req) ?? ''}`,
      req.method,
      req.routeOptions.url ?? req.url,
      JSON.stringify(req.params ?? {}),
      raw,
    ].join('\n'),
  );
  return {
    keyed: true,
    id: (prefix) => `${prefix}${hex(`${seed}|id`).slice(0, 16)}`,
    cmd: (step) => `idem-${seed.slice(0, 40)}-${step}`,
  };
}

/** The org a request names outside its path (path ids already pin theirs): body or query `org`. */
function targetOrg(req: FastifyRequest): string | undefined {
  for (const bag of [req.body, req.query]) {
    const org = (bag as Record<string, unknown> | undefined)?.org;
    if (typeof org === 'string') return org;
  }
  return undefined;
}

/** Command ids that came from an Idempotency-Key (the tenancy projection remembers their records). */
export function isIdempotentCommandId(id: string): boolean {
  return id.startsWith('idem-');
}
