/**
 * What durable consumers on one stream cost nats-server 2.9 (docs/scale.md, "Consumers"): MOE_CMD
 * has one durable pull consumer per hosted workspace (100k at the target). Creates `n` of them
 * with the workspace consumer's settings (addCommandConsumer, filter `moe.cmd.<org>.<ws>.>`),
 * then measures the create time, the server's memory per consumer, the publish rate into MOE_CMD
 * with and without them (on 2.9 the stream matches every stored message against the consumers'
 * filters), and the restart time after a kill -9 with that many consumers.
 */
import { addCommandConsumer } from '../../actors/kernel/index.js';
import { STREAMS, workspaceCommandFilter, workspaceConsumerName } from '../../schemas/index.js';
import { pipelined } from '../setup.js';
import { median, publishPatiently, r1, r3, scaleServer } from './kit.js';

export async function consumersCost(n: number, log: (s: string) => void): Promise<Record<string, unknown>> {
  const s = await scaleServer();
  try {
    const body = new Uint8Array(200).fill(120);
    const org = (w: number) => `o${w % 1000}`;
    const publishRate = async (count: number) => {
      const t = performance.now();
      await pipelined(count, 1_000, (i) => {
        const w = (i * 7919) % n;
        return publishPatiently(s.js, `moe.cmd.${org(w)}.w${w}.agent.a${i % 100}`, body);
      });
      return Math.round(count / ((performance.now() - t) / 1000));
    };
    log('consumers: publish rate with no consumer…');
    const publishBefore = median([
      await publishRate(20_000),
      await publishRate(20_000),
      await publishRate(20_000),
    ]);
    const rssBefore = s.rss();
    log(`consumers: creating ${n} durable consumers…`);
    const createMs: number[] = [];
    const t0 = performance.now();
    for (let w = 0; w < n; w++) {
      const t = performance.now();
      await addCommandConsumer(s.jsm, {
        name: workspaceConsumerName(org(w), `w${w}`),
        filter: workspaceCommandFilter(org(w), `w${w}`),
        ackWaitMs: 30_000,
        maxAckPending: 16_384, // the workspace consumer's (workspaceConsumer.ts)
      });
      createMs.push(performance.now() - t);
    }
    const totalS = (performance.now() - t0) / 1000;
    const rssAfter = s.rss();
    log('consumers: publish rate with them…');
    const publishAfter = median([
      await publishRate(20_000),
      await publishRate(20_000),
      await publishRate(20_000),
    ]);
    log('consumers: kill -9 and restart of nats-server…');
    await s.ns.kill();
    const tr = performance.now();
    // devkit waits 10 s for the port; with thousands of consumers the server can take longer to
    // listen (it recovers JetStream first): keep waiting for the consumers here instead.
    await s.ns.restart().catch(() => undefined);
    for (const deadline = Date.now() + 300_000; Date.now() < deadline;) {
      const ok = await s.jsm.consumers
        .info(STREAMS.commands, workspaceConsumerName(org(n - 1), `w${n - 1}`))
        .catch(() => null);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const recoverS = (performance.now() - tr) / 1000;
    return {
      consumers: n,
      create_ms_median: r3(median(createMs)),
      create_per_s: Math.round(n / totalS),
      nats_rss_mb_before: rssBefore,
      nats_rss_mb_after: rssAfter,
      rss_kb_per_consumer:
        rssAfter !== null && rssBefore !== null ? r1(((rssAfter - rssBefore) * 1024) / n) : null,
      publish_per_s_no_consumers: publishBefore,
      publish_per_s_with_consumers: publishAfter,
      recover_after_kill9_s: r1(recoverS),
      nats_rss_mb_after_restart: s.rss(),
    };
  } finally {
    await s.close();
  }
}
