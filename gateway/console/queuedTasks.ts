/**
 * The console's queued tasks: `task.submit` commands stored in MOE_CMD for a workspace that its
 * consumer has not acknowledged yet (above the consumer's ack floor) and whose actor has no
 * journal yet — submitted, waiting for a node (the workspace not hosted, a node busy or draining).
 * Read with the stream's message-get API (`next_by_subj`: each call jumps to the workspace's next
 * command), only for a workspace whose consumer has work pending, at most {@link QUEUED_SCAN}
 * commands a workspace. A workspace without a consumer yet (never hosted) is scanned from the
 * start of the stream with the same cap.
 */
import type { MsgRequest } from '@nats-io/jetstream';
import { legacyWorkspaceConsumerName, STREAMS, workspaceConsumerName } from '../../schemas/index.js';
import type { Bus } from '../bus.js';
import { TITLE_CHARS } from './taskIndex.js';

/** How many commands of one workspace are read at most per look. */
export const QUEUED_SCAN = 200;

export interface QueuedTask {
  readonly id: string;
  /** `agent` or `coordinator` */
  readonly kind: string;
  readonly org: string;
  readonly ws: string;
  readonly title: string;
  /** its MOE_CMD sequence */
  readonly seq: number;
  /** when it was stored (epoch ms) */
  readonly at: number;
}

async function ackFloor(
  bus: Bus,
  org: string,
  ws: string,
): Promise<{ floor: number; pending: number } | null> {
  for (const name of [workspaceConsumerName(org, ws), legacyWorkspaceConsumerName(org, ws)]) {
    const ci = await bus.jsm.consumers.info(STREAMS.commands, name).catch(() => null);
    if (ci) return { floor: ci.ack_floor.stream_seq, pending: ci.num_pending + ci.num_ack_pending };
  }
  return null;
}

/** The queued tasks of one workspace, oldest first; `journaled(kind, id)`: its actor has turns. */
export async function queuedTasks(
  bus: Bus,
  org: string,
  ws: string,
  journaled: (kind: string, id: string) => boolean,
): Promise<QueuedTask[]> {
  const consumer = await ackFloor(bus, org, ws);
  if (consumer && consumer.pending === 0) return [];
  const out: QueuedTask[] = [];
  const prefix = `moe.cmd.${org}.${ws}.`;
  let seq = (consumer?.floor ?? 0) + 1;
  for (let i = 0; i < QUEUED_SCAN; i++) {
    const query = { seq, next_by_subj: `${prefix}>` } as unknown as MsgRequest;
    const m = await bus.jsm.streams.getMessage(STREAMS.commands, query).catch(() => null);
    if (!m) break;
    seq = m.seq + 1;
    const [kind, id] = m.subject.slice(prefix.length).split('.') as [string, string];
    if ((kind !== 'agent' && kind !== 'coordinator') || journaled(kind, id)) continue;
    let cmd: { type?: unknown; data?: { prompt?: unknown } };
    try {
      cmd = m.json();
    } catch {
      continue;
    }
    if (cmd.type !== 'task.submit') continue;
    const prompt = typeof cmd.data?.prompt === 'string' ? cmd.data.prompt.replace(/\s+/g, ' ').trim() : '';
    out.push({
      id,
      kind,
      org,
      ws,
      title: prompt.length > TITLE_CHARS ? `${prompt.slice(0, TITLE_CHARS - 1)}…` : prompt,
      seq: m.seq,
      at: m.time.getTime(),
    });
  }
  return out;
}
