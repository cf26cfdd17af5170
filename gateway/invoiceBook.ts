/**
 * The gateway's invoice book: every workspace's issued invoices, their deliveries and its billing
 * configuration, folded from the journal of the `billing` actors (`moe.evt.*.*.billing.billing`,
 * actors/billing.machine.ts) from the start at every gateway start, like provisioning.ts. An issued
 * invoice is immutable (`invoice.issued` carries it whole); `invoice.delivery` events change only
 * its delivery. The billing actors' journals are never purged (effects/journalPurge.ts keeps them),
 * so the book is complete after a restart.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { BILLING_ACTOR_ID } from '../actors/index.js';
import {
  validEvents,
  type EventOf,
  type Invoice,
  type InvoiceDelivery,
  type JournalRecord,
} from '../schemas/index.js';
import { followJournal, type JournalFollower } from './journalFollower.js';

export interface BookedInvoice {
  readonly invoice: Invoice;
  delivery: InvoiceDelivery;
  /** epoch ms of the last delivery change */
  deliveredAt: number | null;
}

export type BillingConfig = Omit<EventOf<'billing.configured'>, 'type'>;

export interface BillingProblem {
  readonly command: string;
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

interface WorkspaceBook {
  config: BillingConfig | null;
  /** invoice ids, oldest first */
  invoices: string[];
  /** the last refusal or failure of the billing actor */
  lastProblem: BillingProblem | null;
}

const wsKey = (org: string, ws: string) => `${org}.${ws}`;

export class InvoiceBook {
  private readonly invoices = new Map<string, BookedInvoice>();
  private readonly workspaces = new Map<string, WorkspaceBook>();
  private follower: JournalFollower | null = null;

  async start(js: JetStreamClient, log: FastifyBaseLogger, maxWaitMs = 10_000): Promise<void> {
    this.follower ??= followJournal(
      js,
      `moe.evt.*.*.billing.${BILLING_ACTOR_ID}`,
      (_seq, rec) => this.apply(rec),
      log,
    );
    await this.follower.started(maxWaitMs);
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  get ready(): boolean {
    return this.follower?.caughtUp ?? false;
  }

  /** An invoice by id, or undefined. */
  get(id: string): BookedInvoice | undefined {
    return this.invoices.get(id);
  }

  /** A workspace's invoices, newest first. */
  of(org: string, ws: string): BookedInvoice[] {
    const ids = this.workspaces.get(wsKey(org, ws))?.invoices ?? [];
    return ids
      .map((id) => this.invoices.get(id))
      .filter((b): b is BookedInvoice => b !== undefined)
      .reverse();
  }

  /** A workspace's billing configuration as last journaled (null: its billing actor never ran). */
  configOf(org: string, ws: string): BillingConfig | null {
    return this.workspaces.get(wsKey(org, ws))?.config ?? null;
  }

  lastProblemOf(org: string, ws: string): BillingProblem | null {
    return this.workspaces.get(wsKey(org, ws))?.lastProblem ?? null;
  }

  /** Applies one billing-actor turn (a pure fold; exported for tests). */
  apply(rec: JournalRecord): void {
    if (rec.actor.kind !== 'billing') return;
    const key = wsKey(rec.actor.org, rec.actor.ws);
    const book = this.workspaces.get(key) ?? { config: null, invoices: [], lastProblem: null };
    this.workspaces.set(key, book);
    for (const e of validEvents(rec.events)) {
      switch (e.type) {
        case 'billing.configured': {
          const { type: _type, ...config } = e;
          book.config = config;
          break;
        }
        case 'invoice.issued':
          if (!this.invoices.has(e.invoice.id)) {
            this.invoices.set(e.invoice.id, {
              invoice: e.invoice,
              delivery: { status: 'not_sent' },
              deliveredAt: null,
            });
            book.invoices.push(e.invoice.id);
          }
          break;
        case 'invoice.delivery': {
          const booked = this.invoices.get(e.invoiceId);
          if (booked) Object.assign(booked, { delivery: e.delivery, deliveredAt: e.at });
          break;
        }
        case 'invoice.failed':
          book.lastProblem = { command: 'invoice.issue', code: e.code, message: e.message, at: rec.cmd.at };
          break;
        case 'billing.refused':
          book.lastProblem = { command: e.command, code: e.code, message: e.reason, at: rec.cmd.at };
          break;
        default:
          break;
      }
    }
  }
}
