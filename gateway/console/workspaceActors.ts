/**
 * What runs in a workspace, for the console's Workspaces view: its sessions by state (open,
 * expired, closed; active ones whose lease ran out count as expired) and its agents and
 * coordinators by phase — running, waiting for approval, failed, done (taskIndex.ts).
 */
import type { SessionRow } from './sessionIndex.js';
import type { TaskPhase, TaskRow } from './taskIndex.js';

export type PhaseCounts = Record<TaskPhase, number>;

export interface WorkspaceActors {
  readonly sessions: { readonly open: number; readonly expired: number; readonly closed: number };
  readonly agents: PhaseCounts;
  readonly coordinators: PhaseCounts;
}

const countPhases = (rows: readonly TaskRow[]): PhaseCounts => {
  const out: PhaseCounts = { running: 0, waiting: 0, failed: 0, done: 0 };
  for (const r of rows) out[r.phase]++;
  return out;
};

/**
 * The state a session shows: `open` (the machine's `active`), `expired` — also an active session
 * whose lease ended (its timer may lag) — or `closed`.
 */
export function sessionState(s: SessionRow, now: number): 'open' | 'expired' | 'closed' | string {
  if (s.state !== 'active') return s.state;
  return s.expiresAt !== null && s.expiresAt <= now ? 'expired' : 'open';
}

export function workspaceActors(
  agents: readonly TaskRow[],
  coordinators: readonly TaskRow[],
  sessions: readonly SessionRow[],
  now: number,
): WorkspaceActors {
  const counts = { open: 0, expired: 0, closed: 0 };
  for (const s of sessions) {
    const state = sessionState(s, now);
    if (state === 'open' || state === 'expired' || state === 'closed') counts[state]++;
  }
  return { sessions: counts, agents: countPhases(agents), coordinators: countPhases(coordinators) };
}
