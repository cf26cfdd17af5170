/**
 * Whether nats-server 2.9 can shard the journal with no change to the subjects clients use
 * (docs/scale.md, "Partitioning"): a server-side subject mapping with the deterministic
 * `partition()` function (2.8+) rewrites `moe.evt.<org>.<ws>.<kind>.<id>` to
 * `moe.evt.<p>.<org>.<ws>.<kind>.<id>`, p = hash(org, ws) mod `parts`, and one stream per p holds
 * `moe.evt.<p>.>` (its own leader, so its own write path). Checks that every workspace lands in
 * exactly one partition, that the kernel's fence (expected last subject sequence) still works
 * through the mapping, and measures the publish rate through the mapping against a plain stream.
 */
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../../devkit/index.js';
import { pipelined } from '../setup.js';

export async function partitionCheck(
  parts: number,
  log: (s: string) => void,
): Promise<Record<string, unknown>> {
  const tokens = Array.from({ length: 4 }, (_, i) => `{{wildcard(${i + 1})}}`).join('.');
  const ns = await startNatsServer({
    config: `mappings = { "moe.evt.*.*.*.*": "moe.evt.{{partition(${parts},1,2)}}.${tokens}" }\n`,
  });
  const nc = await connect({ servers: ns.url, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    for (let p = 0; p < parts; p++)
      await jsm.streams.add({ name: `EVT_P${p}`, subjects: [`moe.evt.${p}.>`], storage: StorageType.File });
    await jsm.streams.add({ name: 'PLAIN', subjects: ['plain.>'], storage: StorageType.File });
    const body = new Uint8Array(300).fill(120);
    const n = 50_000;
    const subject = (i: number) => `o${i % 50}.w${i % 500}.agent.a${i % 5000}`;
    log(`partition: ${n} journal-sized messages through the mapping into ${parts} streams…`);
    let t = performance.now();
    await pipelined(n, 1_000, (i) => js.publish(`plain.${subject(i)}`, body));
    const plainPerS = Math.round(n / ((performance.now() - t) / 1000));
    t = performance.now();
    await pipelined(n, 1_000, (i) => js.publish(`moe.evt.${subject(i)}`, body));
    const mappedPerS = Math.round(n / ((performance.now() - t) / 1000));
    // each workspace in exactly one partition
    const where = new Map<string, Set<number>>();
    const perPartition: number[] = [];
    for (let p = 0; p < parts; p++) {
      const info = await jsm.streams.info(`EVT_P${p}`, { subjects_filter: '>' });
      perPartition.push(info.state.messages);
      for (const subj of Object.keys(info.state.subjects ?? {})) {
        const [, , , org, ws] = subj.split('.');
        const key = `${org}.${ws}`;
        where.set(key, (where.get(key) ?? new Set()).add(p));
      }
    }
    const split = [...where.values()].filter((s) => s.size !== 1).length;
    // the fence: expected last subject sequence, given on the unmapped subject
    const fenced = 'moe.evt.o1.w1.agent.fence';
    const first = await js.publish(fenced, body);
    const ok = await js.publish(fenced, body, { expect: { lastSubjectSequence: first.seq } });
    const stale = await js
      .publish(fenced, body, { expect: { lastSubjectSequence: first.seq } })
      .then(() => 'accepted')
      .catch(() => 'refused');
    return {
      nats_server: nc.info?.version,
      partitions: parts,
      messages: n,
      messages_per_partition: perPartition,
      workspaces: where.size,
      workspaces_split_across_partitions: split,
      fence_through_mapping: ok.seq > first.seq && stale === 'refused' ? 'works' : 'broken',
      publish_per_s_plain_stream: plainPerS,
      publish_per_s_through_mapping: mappedPerS,
    };
  } finally {
    await nc.close();
    await ns.stop();
  }
}
