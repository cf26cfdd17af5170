/**
 * Feeds the agent metrics (runs, turns, tokens) from the journal: an ordered consumer over every
 * agent actor's records, starting at "new", retried while MOE_EVT does not exist yet.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { STREAMS } from '../schemas/index.js';
import { recordCodec } from './bus.js';
import type { GatewayMetrics } from './metrics.js';

export function watchAgentRuns(
  js: JetStreamClient,
  metrics: GatewayMetrics,
  log: FastifyBaseLogger,
): () => Promise<void> {
  let stopped = false;
  let messages: ConsumerMessages | null = null;
  let lastSeq = 0;
  const run = async () => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(STREAMS.events, {
          filter_subjects: 'moe.evt.*.*.agent.*',
          ...(lastSeq > 0
            ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 }
            : { deliver_policy: DeliverPolicy.New }),
        });
        messages = await consumer.consume();
        if (stopped) await messages.close();
        for await (const m of messages) {
          lastSeq = m.seq;
          const rec = recordCodec.decode(m.data);
          metrics.agentTurns.inc();
          for (const e of rec.events as (Record<string, unknown> & { type: string })[]) {
            const provider = typeof e.provider === 'string' ? e.provider : 'unknown';
            if (e.type === 'task.completed') {
              metrics.agentRuns.inc({ status: 'completed', provider });
              const u = e.usage as Record<string, number> | undefined;
              if (u) {
                metrics.tokens.inc({ provider, kind: 'input' }, u.inputTokens ?? 0);
                metrics.tokens.inc({ provider, kind: 'output' }, u.outputTokens ?? 0);
                metrics.tokens.inc({ provider, kind: 'cache_read' }, u.cacheReadTokens ?? 0);
                metrics.tokens.inc({ provider, kind: 'cache_write' }, u.cacheWriteTokens ?? 0);
              }
            } else if (e.type === 'task.failed') {
              metrics.agentRuns.inc({ status: 'failed', provider });
            }
          }
        }
        if (!stopped) await new Promise((r) => setTimeout(r, 200));
      } catch (err) {
        if (stopped) return;
        log.debug({ err }, 'agent run metrics consumer not ready; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  void run();
  return async () => {
    stopped = true;
    await messages?.close();
  };
}
