/**
 * `moe backup <org>/<workspace> [--force] [--wait] [--json] [--timeout MS] [--nats URL]`: asks the
 * workspace's backup actor for a backup now (`backup.request {reason: 'manual'}` to
 * `moe.cmd.<org>.<ws>.backup.workspace`, over NATS). With --wait, follows the actor's journal until
 * the run that serves this request ends: `backup.completed` / `backup.skipped` (exit 0) or
 * `backup.failed` (exit 1). A request that came while a backup ran is coalesced into one more run,
 * so its outcome is the second one after it.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { MoeClient, type RecordWithSeq } from '../../client/index.js';
import { commandSubject, isToken } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { natsAuthOptions, natsServers } from '../../actors/kernel/index.js';

export interface BackupArgs {
  org: string;
  workspace: string;
  force: boolean;
  wait: boolean;
  json: boolean;
  natsUrl: string;
  timeoutMs: number;
}

const OUTCOMES = ['backup.completed', 'backup.skipped', 'backup.failed'];

/** `<org>/<workspace>` → its parts; MOE_ERR_USAGE otherwise. */
export function parseWorkspaceRef(arg: string | undefined): { org: string; workspace: string } {
  const [org, workspace, ...rest] = (arg ?? '').split('/');
  if (!org || !workspace || rest.length > 0 || !isToken(org) || !isToken(workspace))
    throw errors.USAGE(`moe backup <org>/<workspace>: got "${arg ?? ''}"`);
  return { org, workspace };
}

export async function backupCommand(a: BackupArgs, print: (s: string) => void): Promise<number> {
  const nc = await connect({ servers: natsServers(a.natsUrl), timeout: 3000, ...natsAuthOptions() }).catch(
    (cause: unknown) => {
      throw errors.NATS_UNREACHABLE(`${a.natsUrl} (start one with \`moe up\`)`, { cause });
    },
  );
  try {
    const client = new MoeClient(nc);
    const actor = { org: a.org, ws: a.workspace, kind: 'backup', id: BACKUP_ACTOR_ID };
    const id = `backup-${randomUUID()}`;
    const command = {
      id,
      type: 'backup.request',
      data: { reason: 'manual', ...(a.force ? { force: true } : {}) },
      session: BACKUP_ACTOR_ID,
    };
    if (!a.wait) {
      const seq = await client.send(actor, command);
      print(
        a.json
          ? JSON.stringify({ command: id, subject: commandSubject(actor), seq })
          : `requested a backup of ${a.org}/${a.workspace} (command ${id}, MOE_CMD seq ${seq})`,
      );
      return 0;
    }
    // the outcomes after this request's turn: the first when it started a run, else the second
    let mine: RecordWithSeq | undefined;
    let outcomes = 0;
    const isOutcome = (r: RecordWithSeq) => r.record.events.some((e) => OUTCOMES.includes(e.type));
    const waiting = client.follow(
      actor,
      (r) => {
        if (!mine) {
          if (r.record.cmd.id !== id) return false;
          mine = r;
          if (r.record.events.some((e) => e.type === 'command.rejected')) return true;
          if (!r.record.events.some((e) => e.type === 'backup.started')) outcomes = -1;
          return false;
        }
        if (isOutcome(r)) outcomes++;
        return outcomes >= 1;
      },
      { timeoutMs: a.timeoutMs },
    );
    await client.send(actor, command);
    const records = await waiting.catch((cause: unknown) => {
      throw errors.TASK_TIMEOUT(`backup of ${a.org}/${a.workspace} (is a workspace-node running?)`, {
        cause,
      });
    });
    const last = records[records.length - 1]!;
    const outcome = last.record.events.find(
      (e) => OUTCOMES.includes(e.type) || e.type === 'command.rejected',
    );
    if (a.json) print(JSON.stringify({ command: id, outcome: outcome ?? null }));
    else print(`${outcome?.type ?? 'unknown'}: ${JSON.stringify(outcome ?? {})}`);
    return outcome?.type === 'backup.completed' || outcome?.type === 'backup.skipped' ? 0 : 1;
  } finally {
    await nc.close();
  }
}
