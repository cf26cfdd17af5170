/**
 * The journal replay service's contract (`moe.api.<org>.replay`, request/reply over core NATS): an
 * org's credential may not create JetStream consumers (on nats-server 2.9 a consumer's filter is in
 * the request payload, so no subject permission could confine it to one org), so reading the
 * journal from a sequence is this request instead. The gateway answers it, for the org in the
 * subject only. docs/subjects.md, "Replay service".
 */
import { Type, type Static } from '@sinclair/typebox';

/** Most entries one reply carries; the reply also stops before it would exceed the server's max_payload. */
export const REPLAY_MAX_ENTRIES = 256;

export function replayServiceSubject(org: string): string {
  return `moe.api.${org}.replay`;
}

export const ReplayRequest = Type.Object(
  {
    fromSeq: Type.Integer({ minimum: 1, description: 'first MOE_EVT stream sequence to return (inclusive)' }),
    filter: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description:
          'a subject filter inside moe.evt.<org>.> (e.g. moe.evt.acme.web.session.s1); default: every entry of the org',
      }),
    ),
    max: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: REPLAY_MAX_ENTRIES,
        description: 'most entries in this reply (default 100)',
      }),
    ),
  },
  { additionalProperties: false, $id: 'ReplayRequest' },
);
export type ReplayRequest = Static<typeof ReplayRequest>;

export const ReplayResponse = Type.Union(
  [
    Type.Object(
      {
        entries: Type.Array(
          Type.Object({
            seq: Type.Integer({ minimum: 1 }),
            subject: Type.String(),
            entry: Type.Unknown({ description: 'the journal entry (JournalEntry.json)' }),
          }),
        ),
        nextSeq: Type.Integer({ minimum: 1, description: 'fromSeq of the next request' }),
        done: Type.Boolean({ description: 'no entry of the filter after the last one returned (for now)' }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
  ],
  { $id: 'ReplayResponse' },
);
export type ReplayResponse = Static<typeof ReplayResponse>;
