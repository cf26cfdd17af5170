/**
 * The `backup.verify` effect of the backup actor: the backup `backupRun.ts` just wrote (or, on the
 * verification schedule, the latest good one) is restored
 * into a temp dir and checked (every sha256, `PRAGMA integrity_check`, each log replayed against
 * its snapshot: verifyBackup.ts). A backup that does not verify is a result (`ok: false` with the
 * first problem's code), not a thrown error: the machine decides to run again or to fail.
 */
import type { EffectHandlerOf } from '../../actors/kernel/index.js';
import type { BackupVerifyResult } from '../../actors/index.js';
import type { ObjectStore } from '../../storage/index.js';
import { verifyBackup } from '../backup/verifyBackup.js';
import { workspaceStore } from '../backup/workspaceStore.js';

export function backupVerifyHandler(store: () => ObjectStore): EffectHandlerOf<'backup.verify'> {
  return async ({ address, effect }): Promise<BackupVerifyResult> => {
    const result = await verifyBackup(workspaceStore(store(), address.org, address.ws), effect.backupId);
    const first = result.problems[0];
    const problems = result.problems.length;
    return result.ok
      ? { ok: true, problems }
      : { ok: false, code: first?.code, message: first?.message, problems };
  };
}
