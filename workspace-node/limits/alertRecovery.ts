/**
 * The budget alerts' outbox recovery, run by every node: at start, and then every
 * {@link ALERT_RECOVERY_INTERVAL_MS}, it publishes the alerts that were marked in KV (the
 * once-per-period decision) but whose publisher died before the journal had them
 * (limiter.ts `recoverAlerts`): at start the ones this node itself had claimed before it died, at
 * once; on every sweep those whose claim is stale (another node died). Exactly once: each is
 * claimed by a compare-and-set and published with its stable `Nats-Msg-Id` and journal turn, so a
 * publish that had landed before the crash is dropped by JetStream as a duplicate. A sweep reads
 * only the budgets the pending-alerts index names (alertIndex.ts): its cost follows the alerts
 * owed, not the number of budgets.
 */
import type { Logger } from 'pino';
import { PENDING_ALERT_STALE_MS } from './budget.js';
import type { Limiter } from './limiter.js';

/** How often a node sweeps for alerts left pending by a dead node. */
export const ALERT_RECOVERY_INTERVAL_MS = PENDING_ALERT_STALE_MS / 3;

export interface AlertRecovery {
  /** the start's sweep: how many alerts it published */
  readonly first: Promise<number>;
  stop(): void;
}

export function startAlertRecovery(
  limiter: Pick<Limiter, 'recoverAlerts'>,
  options: { intervalMs?: number; log?: Logger } = {},
): AlertRecovery {
  let running: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    running ??= limiter
      .recoverAlerts()
      .then((n) => {
        if (n > 0) options.log?.info({ alerts: n }, 'budget alerts left pending by a dead node published');
        return n;
      })
      .catch((err: unknown) => {
        options.log?.warn({ err }, 'budget alert recovery failed; retried on the next sweep');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const first = sweep();
  const timer = setInterval(() => void sweep(), options.intervalMs ?? ALERT_RECOVERY_INTERVAL_MS);
  timer.unref();
  return { first, stop: () => clearInterval(timer) };
}
