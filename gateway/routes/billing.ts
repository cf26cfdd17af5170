/**
 * Billing and invoices (issue 12 item 2), served from the gateway's invoice book (invoiceBook.ts,
 * folded from the `billing` actors' journals) and, for the current period so far, from the hosting
 * node's draft service (`moe.api.<org>.<ws>.billing.draft`, workspace-node/billing/draftService.ts):
 *
 *   GET  /api/workspaces/:id/billing    configuration, current period so far, plan, last invoices
 *   PUT  /api/workspaces/:id/billing    period / time zone / grace (billing.configure), plan (billing.plan); admin
 *   GET  /api/workspaces/:id/invoices   the workspace's invoices, newest first
 *   POST /api/workspaces/:id/invoices   issue a closed period now (invoice.issue); admin; idempotent
 *   GET  /api/invoices/:id              one invoice, JSON or CSV (`?format=csv` or `Accept: text/csv`)
 *
 * Money is integer µ$ (`…Micros`); see docs/billing.md for every sum and rounding.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BILLING_ACTOR_ID,
  isTimeZone,
  lastClosedPeriod,
  periodOf,
  periodOfLabel,
  type PeriodUnit,
} from '../../actors/index.js';
import { billingDraftSubject, eventSubject, PeriodLabel, type Invoice } from '../../schemas/index.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { errorResponses, IdParams } from '../httpSchemas.js';
import type { BookedInvoice } from '../invoiceBook.js';
import { invoiceCsv } from '../invoiceCsv.js';
import { budgetStore } from '../budgetStore.js';

const InvoiceIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9_.-]+$' }) },
  { additionalProperties: false },
);
const FormatQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
  { additionalProperties: false },
);
const IssueBody = Type.Object(
  { label: Type.Optional(PeriodLabel) },
  { additionalProperties: false, description: 'the period to issue (default: the last closed one)' },
);
const ConfigureBody = Type.Object(
  {
    period: Type.Optional(Type.Union([Type.Literal('month'), Type.Literal('day')])),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    graceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 3600_000 })),
    plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

/** What a list shows of an invoice: everything but its lines. */
function summary(b: BookedInvoice) {
  const { lines, ...head } = b.invoice;
  return { ...head, lineCount: lines.length, delivery: b.delivery, deliveredAt: b.deliveredAt };
}

export function billingRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus, invoices } = ctx;
  const addrOf = (org: string, ws: string) => ({ org, ws, kind: 'billing', id: BILLING_ACTOR_ID });
  const budgets = budgetStore(bus.nc);

  /** The hosting node's draft of [start, end); null when no node answers (not hosted, or slow). */
  async function soFar(org: string, ws: string, start: number, end: number, plan: string | null) {
    try {
      const m = await bus.nc.request(billingDraftSubject(org, ws), JSON.stringify({ start, end, plan }), {
        timeout: Math.min(ctx.commandTimeoutMs, 5_000),
      });
      const reply = m.json<Invoice | { error: { code: string; message: string } }>();
      return 'error' in reply ? null : reply;
    } catch {
      return null;
    }
  }

  return async (app) => {
    app.get(
      '/api/workspaces/:id/billing',
      { schema: { tags: ['billing'], params: IdParams, response: errorResponses(403, 404) } },
      async (req) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id);
        const config = invoices.configOf(ws.org, ws.id);
        const now = Date.now();
        const current = config?.current ?? periodOf(now, 'month', 'UTC');
        const draft = await soFar(
          ws.org,
          ws.id,
          current.start,
          Math.min(now, current.end),
          config?.plan ?? null,
        );
        const last = invoices.of(ws.org, ws.id);
        return {
          workspace: ws.id,
          org: ws.org,
          currency: 'USD',
          unit: 'micros',
          started: config !== null,
          period: config?.period ?? 'month',
          timeZone: config?.timeZone ?? 'UTC',
          graceMs: config?.graceMs ?? null,
          current: {
            label: current.label,
            start: new Date(current.start).toISOString(),
            end: new Date(current.end).toISOString(),
            asOf: new Date(Math.min(now, current.end)).toISOString(),
            // null: no node answered (the workspace is not hosted right now)
            totals: draft?.totals ?? null,
            lines: draft?.lines ?? null,
          },
          plan: { name: config?.plan ?? draft?.plan.name ?? null, markup: draft?.plan.markup ?? null },
          // the workspace's budget (routes/budgets.ts): its setting (null: none) and this period's usage
          budget: await budgets.view({ kind: 'workspace', org: ws.org, id: ws.id }),
          lastInvoices: last.slice(0, 12).map(summary),
          lastProblem: invoices.lastProblemOf(ws.org, ws.id),
        };
      },
    );

    app.put(
      '/api/workspaces/:id/billing',
      {
        schema: {
          tags: ['billing'],
          params: IdParams,
          body: ConfigureBody,
          response: errorResponses(403, 404, 422, 503),
        },
      },
      async (req, reply) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
        const { plan, ...config } = req.body;
        if (config.timeZone !== undefined && !isTimeZone(config.timeZone))
          throw errors.TIME_ZONE_UNKNOWN(config.timeZone);
        const commands: string[] = [];
        const addr = addrOf(ws.org, ws.id);
        if (Object.keys(config).length > 0 || plan === undefined) {
          const id = newCommandId();
          await bus.publish(addr, 'billing.configure', config, { id, session: BILLING_ACTOR_ID });
          commands.push(id);
        }
        if (plan !== undefined) {
          const id = newCommandId();
          await bus.publish(addr, 'billing.plan', { plan }, { id, session: BILLING_ACTOR_ID });
          commands.push(id);
        }
        return reply.status(202).send({ workspace: ws.id, commands, events: eventSubject(addr) });
      },
    );

    app.get(
      '/api/workspaces/:id/invoices',
      { schema: { tags: ['billing'], params: IdParams, response: errorResponses(403, 404) } },
      async (req) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id);
        return {
          workspace: ws.id,
          currency: 'USD',
          unit: 'micros',
          complete: invoices.ready,
          invoices: invoices.of(ws.org, ws.id).map(summary),
        };
      },
    );

    app.post(
      '/api/workspaces/:id/invoices',
      {
        schema: {
          tags: ['billing'],
          params: IdParams,
          body: IssueBody,
          response: errorResponses(403, 404, 409, 422, 503),
        },
      },
      async (req, reply) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
        const config = invoices.configOf(ws.org, ws.id);
        const unit: PeriodUnit = config?.period ?? 'month';
        const zone = config?.timeZone ?? 'UTC';
        const now = Date.now();
        const period =
          req.body.label === undefined
            ? lastClosedPeriod(now, unit, zone)
            : periodOfLabel(req.body.label, unit, zone);
        if (!period) throw errors.PERIOD_INVALID(`${req.body.label} (${unit} in ${zone})`);
        if (period.end > now)
          throw errors.PERIOD_OPEN(`${period.label} ends ${new Date(period.end).toISOString()}`);
        const invoiceId = `inv-${ws.org}.${ws.id}-${period.label}`;
        const issued = invoices.get(invoiceId);
        if (issued) return reply.status(200).send({ invoice: invoiceId, issued: true, workspace: ws.id });
        const addr = addrOf(ws.org, ws.id);
        // idempotent by label: the actor issues a period once, however often it is asked
        const command = newCommandId();
        await bus.publish(
          addr,
          'invoice.issue',
          { label: period.label },
          { id: command, session: BILLING_ACTOR_ID },
        );
        return reply
          .status(202)
          .send({ invoice: invoiceId, issued: false, workspace: ws.id, command, events: eventSubject(addr) });
      },
    );

    app.get(
      '/api/invoices/:id',
      {
        schema: {
          tags: ['billing'],
          params: InvoiceIdParams,
          querystring: FormatQuery,
          response: errorResponses(403, 404),
        },
      },
      async (req, reply) => {
        const booked = invoices.get(req.params.id);
        if (!booked) throw errors.NOT_FOUND(`invoice ${req.params.id}`);
        access.requireWorkspace(principal(req), booked.invoice.ws);
        const csv =
          req.query.format === 'csv' ||
          (req.query.format === undefined && /text\/csv/.test(req.headers.accept ?? ''));
        if (csv)
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${booked.invoice.id}.csv"`)
            .send(invoiceCsv(booked.invoice));
        return { ...booked.invoice, delivery: booked.delivery, deliveredAt: booked.deliveredAt };
      },
    );
  };
}
