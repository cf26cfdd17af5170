/**
 * Streams and consumers for the console (operators only: they are shared by every tenant): each
 * MOE stream's size and sequence range — MOE_EVT's first sequence is the journal's retention
 * position (turns below it were purged behind backups) — and each consumer's lag (messages not
 * yet delivered plus delivered but not acked).
 */
import { STREAMS } from '../../schemas/index.js';
import type { Bus } from '../bus.js';

export interface ConsumerLag {
  readonly name: string;
  readonly pending: number;
  readonly ackPending: number;
  readonly lag: number;
}

export interface StreamStat {
  readonly name: string;
  readonly messages: number;
  readonly bytes: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly consumers: readonly ConsumerLag[];
}

/** Consumers listed per stream at most (the most lagging first). */
export const CONSUMERS_LISTED = 50;

export async function streamStats(bus: Bus): Promise<StreamStat[]> {
  const out: StreamStat[] = [];
  for (const name of Object.values(STREAMS)) {
    const info = await bus.jsm.streams.info(name).catch(() => null);
    if (!info) continue;
    const consumers: ConsumerLag[] = [];
    for await (const ci of bus.jsm.consumers.list(name)) {
      consumers.push({
        name: ci.name,
        pending: ci.num_pending,
        ackPending: ci.num_ack_pending,
        lag: ci.num_pending + ci.num_ack_pending,
      });
    }
    consumers.sort((a, b) => b.lag - a.lag || a.name.localeCompare(b.name));
    out.push({
      name,
      messages: info.state.messages,
      bytes: info.state.bytes,
      firstSeq: info.state.first_seq,
      lastSeq: info.state.last_seq,
      consumers: consumers.slice(0, CONSUMERS_LISTED),
    });
  }
  return out;
}
