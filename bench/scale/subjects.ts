/**
 * What a stream with many subjects costs nats-server 2.9 (docs/scale.md, "Subjects"): MOE_EVT holds
 * one subject per actor (10M at the target), MOE_CMD one per actor with a command in the last 7
 * days. Publishes `n` journal-sized messages (300 B) to `n` distinct actor subjects of MOE_EVT
 * (100 actors per workspace), then measures the server's memory and disk per subject, the
 * per-subject operations the platform uses (last entry of a subject by direct get; one
 * workspace's purge by filter, as deletion does; one actor's purge below a sequence, as the journal
 * purge does; stream info) and the time the
 * server takes to come back after a kill -9 with that stream (index recovery).
 */
import { STREAMS } from '../../schemas/index.js';
import { pipelined } from '../setup.js';
import { publishPatiently, r1, r3, scaleServer, timeMedian } from './kit.js';

export async function subjectsCost(n: number, log: (s: string) => void): Promise<Record<string, unknown>> {
  const s = await scaleServer();
  try {
    const rssEmpty = s.rss();
    const diskEmpty = s.storeBytes();
    const body = new Uint8Array(300).fill(120);
    const ws = (w: number) => `moe.evt.o${w % 1000}.w${w}`;
    const subject = (i: number) => `${ws(Math.floor(i / 100))}.agent.a${i % 100}`;
    log(`subjects: publishing ${n} messages on ${n} subjects…`);
    const t0 = performance.now();
    await pipelined(n, 1_000, (i) => publishPatiently(s.js, subject(i), body));
    const publishS = (performance.now() - t0) / 1000;
    const info = await s.jsm.streams.info(STREAMS.events);
    const rssLoaded = s.rss();
    const disk = s.storeBytes() - diskEmpty;
    const infoMs = await timeMedian(20, () => s.jsm.streams.info(STREAMS.events));
    const lastBySubjectMs = await timeMedian(200, (i) =>
      s.jsm.direct.getMessage(STREAMS.events, { last_by_subj: subject((i * 7919) % n) }),
    );
    // one workspace (100 actor subjects) purged by filter, as deletion and journal purge do
    const purgeMs = await timeMedian(5, (i) =>
      s.jsm.streams.purge(STREAMS.events, { filter: `${ws(i * 37)}.>` }),
    );
    // one actor subject purged below a sequence, as the journal purge does after a verified backup
    const actorPurgeMs = await timeMedian(5, async (i) => {
      const subj = subject((i * 104_729) % n);
      const last = await s.jsm.direct.getMessage(STREAMS.events, { last_by_subj: subj });
      return s.jsm.streams.purge(STREAMS.events, { filter: subj, seq: last?.seq ?? 1 });
    });
    log('subjects: kill -9 and restart of nats-server…');
    await s.ns.kill();
    const tr = performance.now();
    await s.ns.restart();
    // ready = the stream answers info again
    for (;;) {
      const ok = await s.jsm.streams.info(STREAMS.events).catch(() => null);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const recoverS = (performance.now() - tr) / 1000;
    const rssAfterRestart = s.rss();
    return {
      subjects: info.state.num_subjects,
      publish_per_s: Math.round(n / publishS),
      nats_rss_mb_empty: rssEmpty,
      nats_rss_mb_loaded: rssLoaded,
      nats_rss_mb_after_restart: rssAfterRestart,
      rss_bytes_per_subject_after_restart:
        rssAfterRestart !== null && rssEmpty !== null
          ? Math.round(((rssAfterRestart - rssEmpty) * 1024 * 1024) / n)
          : null,
      disk_bytes_per_subject: Math.round(disk / n),
      stream_info_ms: r3(infoMs),
      direct_get_last_by_subject_ms: r3(lastBySubjectMs),
      purge_one_workspace_ms: r3(purgeMs),
      purge_one_actor_below_seq_ms: r3(actorPurgeMs),
      recover_after_kill9_s: r1(recoverS),
    };
  } finally {
    await s.close();
  }
}
