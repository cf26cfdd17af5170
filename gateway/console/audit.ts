/**
 * The console's audit log: before an action that changes or decides something (dead letter
 * redrive / discard, task approve / deny) the console journals an `audit.record` command to the
 * org's `_tenancy.audit.console` actor (actors/tenancy/audit.machine.ts) and waits for its turn.
 * If the record cannot be journaled, the action is not taken. The console lists the newest records.
 */
import { findEvent, TENANCY_WS } from '../../schemas/index.js';
import { rejection, type Bus } from '../bus.js';
import { errors } from '../errors.js';
import { newCommandId } from '../commandId.js';
import type { ConsoleViewer } from './identity.js';

export const AUDIT_ACTOR = 'console';
/** Audit records listed per org. */
export const AUDIT_LISTED = 20;

export interface AuditEntry {
  readonly org: string;
  readonly action: string;
  readonly target: string;
  readonly by: string;
  readonly role: string;
  readonly detail: string | null;
  readonly at: number;
}

const address = (org: string) => ({ org, ws: TENANCY_WS, kind: 'audit', id: AUDIT_ACTOR });

/** Journals what `viewer` is about to do in `org`; throws (and nothing is done) when it cannot. */
export async function audit(
  bus: Bus,
  viewer: ConsoleViewer,
  org: string,
  action: string,
  target: string,
  detail?: string,
): Promise<void> {
  const r = await bus.request(
    address(org),
    'audit.record',
    {
      action,
      target,
      by: viewer.by,
      role: viewer.role(org) ?? 'none',
      ...(detail !== undefined ? { detail: detail.slice(0, 2000) } : {}),
    },
    { id: newCommandId() },
  );
  const refused = rejection(r.rec);
  if (refused !== null) throw errors.CONFLICT(`audit record refused: ${refused}`);
}

/** The newest audit entries of `org`, newest first. */
export async function auditLog(bus: Bus, org: string): Promise<AuditEntry[]> {
  const records = await bus.records(address(org));
  const out: AuditEntry[] = [];
  for (const r of records.slice(-AUDIT_LISTED).reverse()) {
    const e = findEvent(r.rec.events, 'audit.recorded');
    if (e)
      out.push({
        org,
        action: e.action,
        target: e.target,
        by: e.by,
        role: e.role,
        detail: e.detail,
        at: e.at,
      });
  }
  return out;
}
