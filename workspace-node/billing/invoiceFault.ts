/**
 * Fault injection for the crash-mid-issue chaos test, off unless set (see ../faults.ts):
 *
 *   MOE_FAULT_KILL_DURING_INVOICE=1   SIGKILL the node once an invoice's usage is read and before
 *                                     the invoice is returned (so before its outcome is recorded);
 *                                     only the first time: a marker file in the data dir says it
 *                                     happened, so the restarted node issues normally.
 *
 * Never set it in production: the node kills itself.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The hook the `invoice.issue` handler calls mid-generation, or undefined when no fault is set. */
export function killDuringInvoice(env: NodeJS.ProcessEnv, dataDir: string): (() => void) | undefined {
  if (env.MOE_FAULT_KILL_DURING_INVOICE?.trim() !== '1') return undefined;
  const marker = join(dataDir, 'fault-kill-during-invoice.done');
  return () => {
    if (existsSync(marker)) return;
    writeFileSync(marker, String(Date.now()));
    process.kill(process.pid, 'SIGKILL');
  };
}
