/**
 * `moe task "<prompt>" --org O --workspace W [--project P] [--wait] [--json] [--session S] [--id ID]`:
 * publishes a task over NATS; with --wait, follows its journal and prints the outcome. With
 * `--session` the task goes through that session, which refuses it once its lease has ended
 * (`task.refused` MOE_ERR_SESSION_EXPIRED: renew the session).
 *
 * `--project` runs the task in a gateway project (its id `p…`; `--workspace` is then the project's
 * workspace id `w…`): the task id gets the gateway's form `<ws>-<project>-t…`, so the gateway lists
 * it under the project and counts its usage there. Without it the task belongs to no project
 * (`project: null` in the gateway's usage).
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { MoeClient } from '../../client/index.js';
import { newTaskId, parseTaskId } from '../../gateway/index.js';
import { commandSubject, isToken } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { timeline } from '../output.js';
import { natsAuthOptions, natsServers } from '../../actors/kernel/index.js';

export interface TaskArgs {
  prompt: string;
  org: string;
  workspace: string;
  wait: boolean;
  json: boolean;
  session?: string;
  id?: string;
  /** a gateway project id (`p…`) in workspace `workspace` */
  project?: string;
  natsUrl: string;
  timeoutMs: number;
}

export async function taskCommand(a: TaskArgs, print: (s: string) => void): Promise<number> {
  for (const [name, v] of [
    ['--org', a.org],
    ['--workspace', a.workspace],
    ['--session', a.session],
    ['--id', a.id],
  ] as const) {
    if (v !== undefined && !isToken(v))
      throw errors.USAGE(`${name} must match [A-Za-z0-9_-]{1,64}, got "${v}"`);
  }
  const id = taskId(a);
  const nc = await connect({ servers: natsServers(a.natsUrl), timeout: 3000, ...natsAuthOptions() }).catch(
    (cause: unknown) => {
      throw errors.NATS_UNREACHABLE(`${a.natsUrl} (start one with \`moe up\`)`, { cause });
    },
  );
  try {
    const client = new MoeClient(nc);
    const actor = { org: a.org, ws: a.workspace, kind: 'agent', id };
    if (!a.wait) {
      // in a session the task goes through the session actor, which checks its lease (docs/subjects.md)
      const to = a.session ? { ...actor, kind: 'session', id: a.session } : actor;
      const seq = await client.send(
        to,
        a.session
          ? {
              id: `task-${id}`,
              type: 'session.submit',
              data: { task: id, submit: { prompt: a.prompt } },
              session: a.session,
            }
          : { id: `task-${id}`, type: 'task.submit', data: { prompt: a.prompt } },
      );
      print(
        a.json
          ? JSON.stringify({ task: id, project: a.project ?? null, subject: commandSubject(to), seq })
          : `submitted task ${id} (MOE_CMD seq ${seq}) on ${commandSubject(to)}`,
      );
      return 0;
    }
    const { outcome, records } = await client
      .runTask(
        a.org,
        a.workspace,
        id,
        { prompt: a.prompt },
        { timeoutMs: a.timeoutMs, ...(a.session ? { session: a.session } : {}) },
      )
      .catch((cause: unknown) => {
        throw errors.TASK_TIMEOUT(`task ${id} (is a workspace-node running? \`moe up\`)`, { cause });
      });
    if (a.json) {
      print(
        JSON.stringify({
          task: id,
          project: a.project ?? null,
          outcome,
          records: records.map((r) => ({ seq: r.seq, ...r.record })),
        }),
      );
    } else {
      print(timeline(records));
      print('');
      print(
        outcome.type === 'task.completed'
          ? `result: ${String(outcome.result)}`
          : `${String(outcome.type)}: ${String(outcome.reason)}`,
      );
    }
    return outcome.type === 'task.completed' ? 0 : 1;
  } finally {
    await nc.close();
  }
}

/** `--id` as given, a gateway-form id in `--project`, else a fresh `t-…`. */
function taskId(a: TaskArgs): string {
  if (a.project === undefined) return a.id ?? `t-${randomUUID().slice(0, 8)}`;
  if (a.id !== undefined)
    throw errors.USAGE('--id cannot be combined with --project (the gateway names project tasks)');
  const id = newTaskId(a.workspace, a.project);
  if (!parseTaskId(id))
    throw errors.USAGE(
      `--project takes a gateway project id (p + 16 hex digits) and --workspace its workspace id (w + 16 hex digits), got "${a.project}" in "${a.workspace}"`,
    );
  return id;
}
