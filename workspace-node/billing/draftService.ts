/**
 * The current period so far: `moe.api.<org>.<ws>.billing.draft` (core NATS request/reply, like the
 * log search service) answers a draft invoice of [start, end) computed exactly as an issued one
 * (invoiceLines.ts) from this node's `calls` table, for `GET /api/workspaces/:id/billing`. The
 * node that hosts the workspace subscribes while it hosts it. Request `{start, end, plan}` (epoch
 * ms; plan null: the org's configured plan); reply an Invoice (id `draft-…`) or `{error}`. When
 * the workspace changed plan (billing/planHistory.ts), the draft is cut into plan segments as the
 * invoice will be, and the request's plan is not used.
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { billingDraftSubject, isMoeError, type Invoice } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { planNamed, planResolver, type PlanConfig } from '../providers/plans.js';
import type { PriceTable } from '../providers/prices.js';
import { planSegments, type PlanSegment } from '../../actors/index.js';
import type { LateUsage } from './invoiceLedger.js';
import { buildInvoice, type UsageGroup } from './invoiceLines.js';

export interface DraftDeps {
  readonly usage: (from: number, to: number) => UsageGroup[];
  /**
   * the workspace's plan changes (planHistory.ts): with any, the draft is cut into plan segments
   * as the invoice will be; without, the request's plan prices the whole range
   */
  readonly planChanges?: () => PlanSegment[];
  /** the late usage the next invoice from `start` will bill (invoiceLedger.ts `pending`) */
  readonly late?: (start: number) => LateUsage[];
  readonly plans: PlanConfig;
  /** every price table by version (default PRICE_TABLES) */
  readonly priceTables?: Readonly<Record<string, PriceTable>>;
}

export function draftInvoice(
  where: { org: string; ws: string },
  req: { start: number; end: number; plan: string | null },
  deps: DraftDeps,
): Invoice {
  const planOf = planResolver(deps.plans);
  const changes = deps.planChanges?.() ?? [];
  const cuts = changes.length
    ? planSegments(changes, req.start, req.end)
    : [{ from: req.start, plan: req.plan }];
  const segments = cuts.map((c, i) => {
    const to = cuts[i + 1]?.from ?? req.end;
    const plan = c.plan === null ? planOf(where.org) : planNamed(deps.plans, c.plan);
    return { from: c.from, to, plan, usage: deps.usage(c.from, to) };
  });
  const invoice = buildInvoice({
    ...where,
    label: 'draft',
    start: req.start,
    end: req.end,
    timeZone: 'UTC',
    issuedAt: req.end,
    segments,
    adjustments: [],
    ...(deps.late ? { late: deps.late(req.start) } : {}),
    ...(deps.priceTables ? { priceTables: deps.priceTables } : {}),
  });
  return { ...invoice, id: `draft-${where.org}.${where.ws}` };
}

export function serveBillingDraft(
  nc: NatsConnection,
  where: { org: string; ws: string },
  deps: DraftDeps,
  log: Logger,
): { stop(): void } {
  const sub = nc.subscribe(billingDraftSubject(where.org, where.ws), {
    callback: (err, m: Msg) => {
      if (err || !m.reply) return;
      try {
        const req = JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>;
        const { start, end, plan } = req;
        if (
          !Number.isSafeInteger(start) ||
          !Number.isSafeInteger(end) ||
          (plan !== null && typeof plan !== 'string')
        )
          throw errors.BILLING_DRAFT_REQUEST();
        m.respond(
          JSON.stringify(draftInvoice(where, { start: start as number, end: end as number, plan }, deps)),
        );
      } catch (e) {
        const moe = isMoeError(e)
          ? e
          : errors.BILLING_DRAFT_REQUEST(e instanceof Error ? e.message : String(e));
        log.warn({ err: e }, 'billing draft failed');
        m.respond(JSON.stringify({ error: { code: moe.code, message: moe.message } }));
      }
    },
  });
  return { stop: () => sub.unsubscribe() };
}
