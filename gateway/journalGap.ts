/**
 * How a journal projection learns that MOE_EVT no longer holds turns it needs. Every actor's turns
 * are numbered 1, 2, 3, … with no gap, so a fold that meets an actor at turn 5 without having seen
 * its turn 4 knows turns were purged (issue 8: the node purges old entries per actor behind
 * verified backups, keeping a tail). Nothing else is lost silently: the projection keeps folding
 * what is there, but says it is incomplete — in a coded log line (`MOE_ERR_JOURNAL_PURGED`), in
 * `/readyz` and in the answers built from it — until a snapshot that covers the purged turns is
 * loaded instead.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { JournalRecord } from '../schemas/index.js';
import { errors } from './errors.js';

/** The first turn a projection found missing. */
export interface JournalGap {
  readonly code: string;
  readonly message: string;
  /** `<org>.<ws>.<kind>.<id>` */
  readonly actor: string;
  /** MOE_EVT sequence of the entry that came after the missing turns */
  readonly seq: number;
  /** the turn found there */
  readonly turn: number;
  /** the last turn applied before it (null: none of this actor's turns had been applied) */
  readonly after: number | null;
}

export function journalGap(
  projection: string,
  seq: number,
  rec: JournalRecord,
  after: number | null,
): JournalGap {
  const { org, ws, kind, id } = rec.actor;
  const actor = `${org}.${ws}.${kind}.${id}`;
  const err = errors.JOURNAL_PURGED(
    `the ${projection} projection met ${actor} at turn ${rec.turn} (seq ${seq}) ` +
      (after === null ? 'without its earlier turns' : `after turn ${after}`) +
      ': those turns were purged from MOE_EVT and no snapshot covers them',
  );
  return { code: err.code, message: err.message, actor, seq, turn: rec.turn, after };
}

/** The coded log line a projection writes once, at its first gap. */
export function logJournalGap(log: FastifyBaseLogger, projection: string, gap: JournalGap): void {
  log.error({ code: gap.code, projection, gap }, gap.message);
}
