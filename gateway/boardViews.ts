/**
 * What the board and card routes answer, folded from the actors' journaled events (the gateway
 * holds no business state): a board's lanes with their cards in order, a card with its lane, text,
 * workflow state, results and agent runs. Pure functions over records, so they are cheap to test.
 */
import { eventSubject, knownEvents, type LaneSpec } from '../schemas/index.js';
import type { SeqRecord } from './bus.js';

export interface BoardView {
  id: string;
  project: string;
  workspace: string;
  name: string;
  lanes: (LaneSpec & { cards: string[] })[];
  seq: number;
}

export function boardView(id: string, workspace: string, records: readonly SeqRecord[]): BoardView | null {
  let view: BoardView | null = null;
  for (const r of records)
    for (const e of knownEvents(r.rec.events)) {
      if (e.type === 'board.created')
        view = {
          id,
          project: e.project,
          workspace,
          name: e.name,
          lanes: e.lanes.map((l) => ({ ...l, cards: [] })),
          seq: r.seq,
        };
      else if (view && (e.type === 'board.card.placed' || e.type === 'board.card.removed')) {
        for (const lane of view.lanes) lane.cards = e.order[lane.id] ?? lane.cards;
        view.seq = r.seq;
      }
    }
  return view;
}

export interface RunView {
  runId: string;
  workflow: number | null;
  lane: string;
  step: number;
  agent: string;
  actor: { kind: 'agent'; id: string };
  status: 'running' | 'completed' | 'failed';
  summary: string | null;
  costMicros: number | null;
  /** the agent's journal (its session log): read it with the stream routes or the NATS subject */
  journal: string;
  startedAt: number;
  finishedAt: number | null;
}

export interface CardView {
  id: string;
  board: string;
  project: string;
  workspace: string;
  lane: string;
  position: number;
  title: string;
  description: string;
  state: string;
  blocked: { code: string; reason: string } | null;
  awaitingApproval: boolean;
  summary: string | null;
  costMicros: number;
  deleted: boolean;
  runs: RunView[];
  seq: number;
}

export function cardView(
  id: string,
  addr: { org: string; ws: string },
  records: readonly SeqRecord[],
): CardView | null {
  let view: CardView | null = null;
  let workflow: number | null = null;
  for (const r of records) {
    for (const e of knownEvents(r.rec.events)) {
      if (e.type === 'card.created') {
        view = {
          id,
          board: e.board,
          project: e.project,
          workspace: addr.ws,
          lane: e.lane,
          position: e.position,
          title: e.title,
          description: e.description ?? '',
          state: r.rec.state,
          blocked: null,
          awaitingApproval: false,
          summary: null,
          costMicros: 0,
          deleted: false,
          runs: [],
          seq: r.seq,
        };
        continue;
      }
      if (!view) continue;
      switch (e.type) {
        case 'card.updated':
          Object.assign(view, e.title !== undefined ? { title: e.title } : {});
          if (e.description !== undefined) view.description = e.description;
          break;
        case 'card.moved':
          Object.assign(view, { lane: e.to, position: e.position, blocked: null, awaitingApproval: false });
          break;
        case 'card.blocked':
          view.blocked = { code: e.code, reason: e.reason };
          break;
        case 'card.approval.requested':
          view.awaitingApproval = true;
          break;
        case 'card.approval.decided':
          view.awaitingApproval = false;
          break;
        case 'workflow.started':
          workflow = e.workflow;
          view.blocked = null;
          break;
        case 'workflow.finished':
          view.summary = e.summary;
          break;
        case 'run.started':
          view.runs.push({
            runId: e.runId,
            workflow,
            lane: e.lane,
            step: e.step,
            agent: e.agent,
            actor: e.actor,
            status: 'running',
            summary: null,
            costMicros: null,
            journal: eventSubject({ org: addr.org, ws: addr.ws, kind: 'agent', id: e.actor.id }),
            startedAt: r.rec.cmd.at,
            finishedAt: null,
          });
          break;
        case 'run.finished': {
          const run = view.runs.find((x) => x.runId === e.runId);
          if (!run) break;
          Object.assign(run, {
            status: e.status,
            summary: e.summary ?? null,
            costMicros: e.costMicros ?? null,
            finishedAt: r.rec.cmd.at,
          });
          view.costMicros += e.costMicros ?? 0;
          break;
        }
        case 'card.deleted':
          view.deleted = true;
          break;
        default:
          break;
      }
    }
    if (view) Object.assign(view, { state: r.rec.state, seq: r.seq });
  }
  return view;
}
