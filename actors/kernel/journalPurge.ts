/**
 * The one journal purge (issue 8 item 7, the bounded journal): removes an actor's MOE_EVT entries
 * up to a sequence a verified backup covers, keeping the newest `keep` of them. It is a per-subject
 * purge by sequence (`purge {filter: <actor subject>, seq: P}` removes the subject's entries below P;
 * nats-server 2.9), never `keep`-based: a `keep` purge counts from the newest entry, so entries
 * appended while it runs would push covered-or-not entries out of the tail. Entries above
 * `coveredSeq` are never touched, whatever is appended meanwhile.
 *
 * P is found by reading the subject's sequences (headers only, no bodies) from its first remaining
 * entry up to `coveredSeq`: after the first purge that is the kept tail plus what was appended since
 * the last backup, so each entry is read about once over the journal's life. A caller purging many
 * subjects first asks {@link journalSubjectCounts} (one stream-info request) and skips the subjects
 * that hold no more than `keep` entries in all: most actors (a finished task's agent) never grow again.
 *
 * Who calls it and what it may purge (only actors of a verified backup's manifest, never the
 * `_tenancy` workspace or the backup actor) is decided by workspace-node/effects/journalPurge.ts.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { STREAMS } from '../../schemas/index.js';
import { JournalReader } from './journalReader.js';

export interface SubjectPurge {
  /** entries removed */
  readonly purged: number;
  /** the first sequence kept on the subject (entries below it are gone); 0: nothing purged */
  readonly keptFrom: number;
}

/**
 * Purges the entries of `subject` with a sequence ≤ `coveredSeq`, except the newest `keep` of
 * those; entries after `coveredSeq` always stay.
 *
 * @example
 *   await purgeCoveredEntries(js, jsm, eventSubject(address), manifestActor.lastSeq, 1000);
 */
export async function purgeCoveredEntries(
  js: JetStreamClient,
  jsm: JetStreamManager,
  subject: string,
  coveredSeq: number,
  keep: number,
): Promise<SubjectPurge> {
  if (coveredSeq <= 0) return { purged: 0, keptFrom: 0 };
  // the newest `keep` sequences ≤ coveredSeq (a ring: the oldest is at covered % keep), and how many in all
  const tail = new Array<number>(keep);
  let covered = 0;
  const reader = new JournalReader(js, {
    filter: subject,
    start: { afterSeq: 0 },
    follow: false,
    headersOnly: true,
  });
  for await (const seq of reader.sequences()) {
    if (seq > coveredSeq) break;
    if (keep > 0) tail[covered % keep] = seq;
    covered++;
  }
  if (covered <= keep) return { purged: 0, keptFrom: 0 };
  const keptFrom = keep > 0 ? tail[covered % keep]! : coveredSeq + 1;
  const r = await jsm.streams.purge(STREAMS.events, { filter: subject, seq: keptFrom });
  return { purged: r.purged, keptFrom };
}

/** Entries per subject on MOE_EVT under `filter` (e.g. `moe.evt.<org>.<ws>.>`), from one (paged) stream info. */
export async function journalSubjectCounts(
  jsm: JetStreamManager,
  filter: string,
): Promise<ReadonlyMap<string, number>> {
  const info = await jsm.streams.info(STREAMS.events, { subjects_filter: filter });
  return new Map(Object.entries(info.state.subjects ?? {}));
}
