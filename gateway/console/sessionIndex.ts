/**
 * The console's sessions of a workspace (actors/session.machine.ts: a user's working session with
 * an 8 h lease, renewable), read from the journal like the task list (taskIndex.ts): one
 * stream-info call per workspace lists the `session` subjects with their entry counts, and a
 * session is re-read only when its count moved. A row names the session by its title and its user
 * by email, and carries the lease's end (the last `session.opened` / `session.renewed`).
 */
import { eventSubject, findLastEvent, STREAMS } from '../../schemas/index.js';
import type { Bus } from '../bus.js';

export interface SessionRow {
  readonly id: string;
  readonly org: string;
  readonly ws: string;
  /** its title (`session.open`), else '' */
  readonly title: string;
  /** the user who opened it (id), null when none was named */
  readonly user: string | null;
  /** `open`, `expired` or `closed` */
  readonly state: string;
  /** epoch ms the lease ends (null: unknown) */
  readonly expiresAt: number | null;
  /** MOE_EVT sequence of its latest entry */
  readonly seq: number;
}

/** How many sessions a workspace lists at most (the most recently active). */
export const SESSIONS_PER_WORKSPACE = 100;

export class SessionIndex {
  /** subject → [entry count when read, row] */
  private readonly rows = new Map<string, [number, SessionRow]>();

  constructor(private readonly bus: Bus) {}

  async list(org: string, ws: string): Promise<SessionRow[]> {
    const filter = eventSubject({ org, ws, kind: 'session', id: '*' });
    const info = await this.bus.jsm.streams.info(STREAMS.events, { subjects_filter: filter });
    const out: SessionRow[] = [];
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
      const seen = this.rows.get(subject);
      if (seen && seen[0] === count) {
        out.push(seen[1]);
        continue;
      }
      const id = subject.split('.').pop() ?? '';
      const records = await this.bus.records({ org, ws, kind: 'session', id });
      const first = records[0];
      const last = records[records.length - 1];
      if (!first || !last) continue;
      const open = first.rec.cmd.data as { title?: unknown; user?: unknown };
      let lease: { expiresAt?: unknown } | undefined;
      for (const r of records)
        lease = findLastEvent(r.rec.events, 'session.opened', 'session.renewed') ?? lease;
      const row: SessionRow = {
        id,
        org,
        ws,
        title: typeof open.title === 'string' ? open.title : '',
        user: typeof open.user === 'string' ? open.user : null,
        state: last.rec.state,
        expiresAt: typeof lease?.expiresAt === 'number' ? lease.expiresAt : null,
        seq: last.seq,
      };
      this.rows.set(subject, [count, row]);
      out.push(row);
    }
    return out.sort((a, b) => b.seq - a.seq).slice(0, SESSIONS_PER_WORKSPACE);
  }
}
