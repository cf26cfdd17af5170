/**
 * What every route family shares: the bus to the runtime, the tenancy projection and access checks,
 * and helpers to send a tenancy command and wait for its journaled outcome.
 */
import type { PlatformOperators } from './platformOperators.js';
import type { KV } from '@nats-io/kv';
import type { FastifyRequest } from 'fastify';
import type { JournalRecord } from '../schemas/index.js';
import { TENANCY_WS } from '../schemas/index.js';
import type { Access, Principal } from './access.js';
import { rejection, type Bus } from './bus.js';
import { newCommandId } from './commandId.js';
import { errors } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { AuthDir } from './natsCredentials/index.js';
import type { StreamSlots } from './streamSlots.js';
import type { TenancyProjection } from './projection.js';
import type { ProvisioningProjection } from './provisioning.js';
import type { Revocations } from './revocations.js';
import type { UsageProjection } from './usageProjection.js';
import type { BoardProjection } from './boardProjection.js';
import type { InvoiceBook } from './invoiceBook.js';

import type { SecretBox } from './webhooks/secretBox.js';

export interface GatewayContext {
  readonly bus: Bus;
  readonly tenancy: TenancyProjection;
  /** tokens and money per org / project / agent / provider / model, folded from the journal */
  readonly usage: UsageProjection;
  /** every board's and card's view, folded from the board and card journals */
  readonly boards: BoardProjection;
  /** every workspace's invoices and billing configuration, folded from the billing actors' journals */
  readonly invoices: InvoiceBook;
  readonly access: Access;
  /** who is a platform operator besides the operator token (platformOperators.ts) */
  readonly operators: PlatformOperators;
  /** where each workspace's provisioning stands (its first backup), folded from the journal */
  readonly provisioning: ProvisioningProjection;
  readonly metrics: GatewayMetrics;
  /** revoked JWT ids (logout), shared by replicas and cached from a KV watch (revocations.ts) */
  readonly revocations: Revocations;
  /** deleted workspaces (`moe_retired`): the nodes tear them down (schemas/retirement.ts) */
  readonly retired: KV;
  readonly tokenTtlSec: number;
  readonly commandTimeoutMs: number;
  /** the operator's token for the platform-wide part of `/metrics`; null: nobody gets it */
  readonly metricsToken: string | null;
  /** the NATS auth directory and a URL to push revocations to; null: per-org NATS credentials are off */
  readonly natsAuth: { readonly dir: AuthDir; readonly natsUrl: string } | null;
  /** the Stripe webhook endpoint's signing secret; null: the webhook route answers 501 */
  readonly stripeWebhookSecret: string | null;
  /** seals webhook signing secrets at rest (MOE_SECRETS_KEY); null: none configured */
  readonly secretBox: SecretBox | null;
  /** concurrent WebSocket/SSE streams per principal */
  readonly streamSlots: StreamSlots;
  /**
   * Sends a command to a tenancy actor (`<org>._tenancy.<kind>.<id>`) and waits until the projection
   * applied it. A `cmdId` from an Idempotency-Key that was applied already answers its first record.
   */
  tenancyCommand(
    org: string,
    kind: string,
    id: string,
    type: string,
    data: Record<string, unknown>,
    cmdId?: string,
  ): Promise<JournalRecord>;
}

export { newCommandId } from './commandId.js';

export function tenancyCommander(
  bus: Bus,
  tenancy: TenancyProjection,
  timeoutMs: number,
): GatewayContext['tenancyCommand'] {
  return async (org, kind, id, type, data, givenId) => {
    const cmdId = givenId ?? newCommandId();
    const outcome = tenancy.waitFor(cmdId, timeoutMs);
    outcome.catch(() => undefined);
    // registered first, then checked: a record applied in between resolves the waiter instead
    const earlier = tenancy.applied(cmdId);
    let rec: JournalRecord;
    if (earlier) {
      tenancy.cancelWait(cmdId);
      rec = earlier;
    } else {
      try {
        await bus.publish({ org, ws: TENANCY_WS, kind, id }, type, data, { id: cmdId });
      } catch (err) {
        tenancy.cancelWait(cmdId);
        throw err;
      }
      rec = await outcome;
    }
    const reason = rejection(rec);
    if (reason !== null) throw errors.CONFLICT(`${type}: ${reason}`);
    return rec;
  };
}

/** The authenticated caller; routes marked public never call this. */
export function principal(req: FastifyRequest): Principal {
  const p = req.principal;
  if (!p) throw errors.UNAUTHENTICATED();
  return p;
}

/** The user behind a principal (an API key acts for the user who created it). */
export function actingUser(p: Principal): string {
  return p.userId;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** no authentication (health, docs, register, login) */
    public?: boolean;
  }
}
