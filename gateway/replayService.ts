/**
 * The journal replay service: `moe.api.<org>.replay` (core NATS request/reply, queue group
 * `moe-replay`, so every gateway replica shares the load). An org's NATS credential may publish to
 * its own `moe.api.<org>.>` and receive on its own inbox, but may not create JetStream consumers;
 * this service reads MOE_EVT for it by direct gets (MOE_EVT allows them), only inside
 * `moe.evt.<org>.>` for the `<org>` of the subject, which the server's permissions vouch for.
 * Contract: schemas/replay.ts (docs/schemas/ReplayRequest.json, ReplayResponse.json).
 *
 * @example const svc = startReplayService(nc, jsm, log); … await svc.stop();
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Value } from '@sinclair/typebox/value';
import type { FastifyBaseLogger } from 'fastify';
import { REPLAY_MAX_ENTRIES, ReplayRequest, STREAMS, type ReplayResponse } from '../schemas/index.js';
import { errors } from './errors.js';

const DEFAULT_MAX = 100;

/** True when `filter` selects only subjects inside `moe.evt.<org>.>`. */
export function filterInsideOrg(filter: string, org: string): boolean {
  const t = filter.split('.');
  if (t.length < 4 || t[0] !== 'moe' || t[1] !== 'evt' || t[2] !== org) return false;
  return t.every((tok, i) => tok.length > 0 && (tok !== '>' || i === t.length - 1));
}

/** One reply: entries of `filter` from `fromSeq`, at most `max`, within `budget` bytes. */
export async function replayPage(
  jsm: JetStreamManager,
  filter: string,
  fromSeq: number,
  max: number,
  budget: number,
): Promise<ReplayResponse> {
  const entries: Array<{ seq: number; subject: string; entry: unknown }> = [];
  let next = fromSeq;
  let bytes = 0;
  let done = false;
  while (entries.length < max) {
    const found = await jsm.direct
      .getMessage(STREAMS.events, { seq: next, next_by_subj: filter })
      .catch((err: unknown) => {
        if (err instanceof Error && /no message found|not found/i.test(err.message)) return null;
        throw err;
      });
    if (!found) {
      done = true;
      break;
    }
    const size = found.data.length + found.subject.length + 64;
    if (entries.length > 0 && bytes + size > budget) break;
    bytes += size;
    entries.push({ seq: found.seq, subject: found.subject, entry: found.json() });
    next = found.seq + 1;
  }
  return { entries, nextSeq: next, done };
}

export function startReplayService(
  nc: NatsConnection,
  jsm: JetStreamManager,
  log: FastifyBaseLogger,
): { stop(): Promise<void> } {
  const sub = nc.subscribe('moe.api.*.replay', { queue: 'moe-replay' });
  const answer = async (m: Msg): Promise<ReplayResponse> => {
    const org = m.subject.split('.')[2] ?? '';
    let req: unknown;
    try {
      req = m.json();
    } catch {
      return refusal(errors.REPLAY_REQUEST('the body is not JSON'));
    }
    if (!Value.Check(ReplayRequest, req)) {
      const first = [...Value.Errors(ReplayRequest, req)][0];
      return refusal(errors.REPLAY_REQUEST(first ? `${first.path || '/'}: ${first.message}` : undefined));
    }
    const filter = req.filter ?? `moe.evt.${org}.>`;
    if (!filterInsideOrg(filter, org))
      return refusal(errors.REPLAY_REQUEST(`${filter} is not inside moe.evt.${org}.>`));
    const budget = Math.floor((nc.info?.max_payload ?? 1024 * 1024) * 0.75);
    return replayPage(jsm, filter, req.fromSeq, Math.min(req.max ?? DEFAULT_MAX, REPLAY_MAX_ENTRIES), budget);
  };
  const done = (async () => {
    for await (const m of sub) {
      if (!m.reply) continue;
      const reply = await answer(m).catch((err: unknown) => {
        log.warn({ err, subject: m.subject }, 'replay request failed');
        return refusal(errors.INTERNAL(undefined, { cause: err }));
      });
      m.respond(JSON.stringify(reply));
    }
  })();
  return {
    async stop() {
      sub.unsubscribe();
      await done;
    },
  };
}

function refusal(e: { code: string; message: string }): ReplayResponse {
  return { error: { code: e.code, message: e.message } };
}
