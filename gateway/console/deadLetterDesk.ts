/**
 * Dead letters for the console: list the newest letters of MOE_DLQ (`moe.dlq.<org>.<ws>`, one per
 * command that could never apply), inspect one (code, reason, JSON path, payload excerpt,
 * headers), redrive it (its payload published again to its original command subject, with
 * `Nats-Msg-Id` `redrive:<dlq seq>` so a double click redrives once, then the letter deleted) or
 * discard it (deleted). Who may do what, and the audit record before it, are the routes' job.
 */
import { headers as natsHeaders } from '@nats-io/transport-node';
import { STREAMS } from '../../schemas/index.js';
import type { Bus } from '../bus.js';
import { errors } from '../errors.js';
import { splitPlacementKey } from './names.js';

/** How many of the newest letters the list reads. */
export const DEAD_LETTERS_LISTED = 50;
const EXCERPT = 2000;

export interface LetterRow {
  readonly seq: number;
  readonly org: string;
  readonly ws: string;
  readonly code: string;
  readonly reason: string;
  /** the command subject it came from */
  readonly subject: string;
  readonly at: number | null;
}

export interface Letter extends LetterRow {
  readonly path: string | null;
  readonly payload: string;
  readonly payloadBytes: number;
  readonly headers: Record<string, string[]>;
}

function fields(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

export class DeadLetterDesk {
  constructor(private readonly bus: Bus) {}

  private async read(seq: number): Promise<Letter | null> {
    const m = await this.bus.jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (!m) return null;
    const where = splitPlacementKey(m.subject.replace(/^moe\.dlq\./, ''));
    if (!where) return null;
    let v: Record<string, unknown>;
    try {
      v = fields(m.json());
    } catch {
      v = {};
    }
    const payload = typeof v.payload === 'string' ? v.payload : '';
    const headers: Record<string, string[]> = {};
    if (m.header) for (const k of m.header.keys()) headers[k] = m.header.values(k);
    return {
      seq,
      org: where.org,
      ws: where.ws,
      code: typeof v.code === 'string' ? v.code : 'unknown',
      reason: typeof v.reason === 'string' ? v.reason : '',
      subject: typeof v.subject === 'string' ? v.subject : '',
      at: typeof v.at === 'number' ? v.at : null,
      path: typeof v.path === 'string' ? v.path : null,
      payload: payload.slice(0, EXCERPT),
      payloadBytes: payload.length,
      headers,
    };
  }

  /** The newest letters of the orgs `visible` accepts, newest first. */
  async list(visible: (org: string) => boolean): Promise<{ total: number; letters: LetterRow[] }> {
    const info = await this.bus.jsm.streams.info(STREAMS.deadLetters);
    const { first_seq: first, last_seq: last, messages } = info.state;
    const letters: LetterRow[] = [];
    for (let seq = last; messages > 0 && seq >= first && seq > last - 4 * DEAD_LETTERS_LISTED; seq--) {
      const l = await this.read(seq);
      if (!l || !visible(l.org)) continue;
      const { path: _p, payload: _x, payloadBytes: _b, headers: _h, ...row } = l;
      letters.push(row);
      if (letters.length >= DEAD_LETTERS_LISTED) break;
    }
    return { total: messages, letters };
  }

  /** One letter; 404 when it is gone or `visible` refuses its org. */
  async get(seq: number, visible: (org: string) => boolean): Promise<Letter> {
    const l = await this.read(seq);
    if (!l || !visible(l.org)) throw errors.NOT_FOUND(`dead letter ${seq}`);
    return l;
  }

  /** Publishes the letter's payload to its command subject again, then deletes the letter. */
  async redrive(l: Letter): Promise<{ commandSeq: number }> {
    if (!l.subject.startsWith('moe.cmd.') || l.payloadBytes > l.payload.length)
      throw errors.CONFLICT(`dead letter ${l.seq} cannot be redriven (no whole command to send)`);
    const h = natsHeaders();
    h.set('Moe-Redriven-From', String(l.seq));
    const ack = await this.bus.js.publish(l.subject, new TextEncoder().encode(l.payload), {
      msgID: `redrive:${l.seq}`,
      headers: h,
    });
    await this.discard(l);
    return { commandSeq: ack.seq };
  }

  async discard(l: Letter): Promise<void> {
    await this.bus.jsm.streams.deleteMessage(STREAMS.deadLetters, l.seq, false).catch((err: unknown) => {
      // deleted in between (a second click, another console): the outcome is the same
      if (!/not found|no message/i.test(String(err))) throw err;
    });
  }
}
