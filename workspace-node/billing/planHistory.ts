/**
 * The workspace's billing plan as its `billing` actor decided it (issue 12 gap 2), for the node to
 * price calls with the plan the invoice will use. Source: the workspace's own journal. Every
 * accepted `billing.plan` command (a billing actor turn that emitted `billing.configured`) is
 * projected into `billing_plans` in metrics.db (projections.ts) with its command time; that is
 * exactly the plan history the billing actor keeps and invoices are segmented by
 * (actors/billing.machine.ts `planSegments`).
 *
 * Why the projection rather than a KV record: it is rebuilt from the journal wherever the
 * workspace is hosted (takeover, a fresh data dir, `moe reproject`), needs no extra write path
 * that could fail after the command was accepted, and is in the database the invoice reads. The
 * projection runs on a worker thread, so committed turns are also watched here (`seen`, from the
 * kernel's journal lines) so a change counts for the very next call on this node.
 *
 * A call is priced with the plan the node knows when the reply is priced; the invoice prices it by
 * its command time. Only a call whose reply was priced in the moment between a `billing.plan`
 * command's time and its turn committing (milliseconds) can be priced with the previous plan.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { ofType, validEvents } from '../../schemas/index.js';
import type { PlanSegment } from '../../actors/index.js';
import { lineTurns } from '../projections.js';
import { planNamed, type Plan, type PlanConfig } from '../providers/plans.js';

export interface PlanHistory {
  /** the plan changes, oldest first (the billing actor's `plans`) */
  changes(): PlanSegment[];
  /** the plan now: its name, or undefined when the workspace never changed plan (the configured one) */
  current(): string | undefined;
  /** a committed journal line (`{seq, rec}`): notes a plan change without waiting for the projection */
  seen(line: string): void;
}

export function planHistory(metrics: Database.Database): PlanHistory {
  const all = metrics.prepare<[], { at: number; plan: string }>(
    'SELECT at, plan FROM billing_plans ORDER BY at, seq, turn',
  );
  const last = metrics.prepare<[], { at: number; plan: string }>(
    'SELECT at, plan FROM billing_plans ORDER BY at DESC, seq DESC, turn DESC LIMIT 1',
  );
  let latest: { at: number; plan: string } | undefined;
  return {
    changes: () => all.all().map((r) => ({ from: r.at, plan: r.plan })),
    current() {
      const row = last.get();
      const pick = !row || (latest && latest.at >= row.at) ? latest : row;
      return pick?.plan;
    },
    seen(line) {
      if (!line.includes('"billing.plan"')) return;
      for (const [r] of lineTurns(line)) {
        const plan = r.cmd.data?.plan;
        if (r.actor.kind !== 'billing' || r.cmd.type !== 'billing.plan' || typeof plan !== 'string') continue;
        if (!validEvents(r.events).some(ofType('billing.configured'))) continue;
        if (!latest || r.cmd.at >= latest.at) latest = { at: r.cmd.at, plan };
      }
    },
  };
}

/**
 * The plan to price a call of this workspace with: its billing plan, or undefined for the node's
 * configured plan of the org. A plan name the node's configuration does not know (configurations
 * differ between nodes) falls back to the configured plan, with a warning once per name.
 */
export function workspacePlan(
  history: PlanHistory,
  config: PlanConfig,
  log?: Logger,
): () => Plan | undefined {
  const warned = new Set<string>();
  return () => {
    const name = history.current();
    if (name === undefined) return undefined;
    try {
      return planNamed(config, name);
    } catch (err) {
      if (!warned.has(name)) {
        warned.add(name);
        log?.warn(
          { err, plan: name },
          'billing plan unknown to this node: calls priced with the configured plan',
        );
      }
      return undefined;
    }
  };
}
