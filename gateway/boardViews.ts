/**
 * What the board and card routes answer, folded from the actors' journaled events (the gateway
 * holds no business state): a board's lanes with their cards in order, a card with its lane, text,
 * workflow state, results and agent runs. Pure folds, one turn at a time (foldBoard, foldCard):
 * the board projection (boardProjection.ts) applies them as the journal is followed.
 */
import {
  eventSubject,
  knownEvents,
  mergeArtifacts,
  type ArtifactRef,
  type LaneSpec,
} from '../schemas/index.js';
import type { SeqRecord } from './bus.js';

export interface BoardView {
  id: string;
  project: string;
  workspace: string;
  name: string;
  lanes: (LaneSpec & { cards: string[] })[];
  seq: number;
  /** the board was deleted: the projection no longer serves it */
  deleted?: true;
}

/** Applies one board turn to its view (in place; a new view at `board.created`). */
export function foldBoard(
  view: BoardView | null,
  id: string,
  workspace: string,
  r: SeqRecord,
): BoardView | null {
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
    else if (view && e.type === 'board.deleted') {
      view.deleted = true;
      view.seq = r.seq;
    } else if (view && e.type === 'board.updated') {
      if (e.name !== undefined) view.name = e.name;
      if (e.lanes !== undefined) {
        const cardsOf = new Map(view.lanes.map((l) => [l.id, l.cards]));
        view.lanes = e.lanes.map((l) => ({ ...l, cards: cardsOf.get(l.id) ?? [] }));
      }
      view.seq = r.seq;
    } else if (view && (e.type === 'board.card.placed' || e.type === 'board.card.removed')) {
      for (const lane of view.lanes) lane.cards = e.order[lane.id] ?? lane.cards;
      view.seq = r.seq;
    }
  }
  return view;
}

export function boardView(id: string, workspace: string, records: readonly SeqRecord[]): BoardView | null {
  let view: BoardView | null = null;
  for (const r of records) view = foldBoard(view, id, workspace, r);
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
  /** the run's session log as terminal messages (replay; the messages carry this run's `runId`) */
  log: string;
  /** files the agent wrote in this run (workspace-relative path, sha256, size) */
  artifacts: ArtifactRef[];
  startedAt: number;
  finishedAt: number | null;
}

/**
 * The card's current (or last) lane workflow and how far it got: `progress` is the share of its
 * agent steps that finished (completed or failed), 0–100, rounded down; 100 once every agent of a
 * workflow that completed (or waits for approval) is done. Seed 002's agent-run progress.
 */
export interface WorkflowView {
  workflow: number;
  lane: string;
  trigger: 'auto' | 'manual';
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'awaiting_approval';
  /** each step: the agents that run side by side */
  steps: string[][];
  /** agent steps in the workflow, and how many of them finished */
  agents: number;
  agentsFinished: number;
  progress: number;
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
  /** who the card is for (`PUT /api/cards/:id` with `assignee`); null: nobody */
  assignee: string | null;
  state: string;
  blocked: { code: string; reason: string } | null;
  awaitingApproval: boolean;
  /** the task (agent actor) a person decides while the card waits for approval (exitCriteria `approved`) */
  approvalTask: string | null;
  summary: string | null;
  costMicros: number;
  /** files the card's agents wrote, newest write of each path, with the run that wrote it */
  artifacts: (ArtifactRef & { runId: string; agent: string })[];
  /** the card's session logs (every run), live and replayed: `WS` this path */
  terminal: string;
  deleted: boolean;
  /** the current or last lane workflow, with its progress (null: none ran yet) */
  workflow: WorkflowView | null;
  /**
   * cards this card's agents created (create_card): each sent to its board's `cardsTo` lane;
   * `refused` when the board did not take it (a WIP limit): that card does not exist
   */
  createdCards: {
    id: string;
    title: string;
    lane: string;
    by: string;
    refused?: { code: string; reason: string };
  }[];
  runs: RunView[];
  seq: number;
}

const progressOf = (w: WorkflowView) =>
  w.agents === 0 ? 100 : Math.min(100, Math.floor((100 * w.agentsFinished) / w.agents));

/** A card's view while it is folded: the view, and what the fold needs beyond it. */
export interface CardFold {
  view: CardView | null;
  /** the workflow the next `run.started` belongs to */
  workflow: number | null;
  /** the highest board placement (`card.placed` seq) the card has taken a turn on */
  placed: number;
}

export const emptyCardFold = (): CardFold => ({ view: null, workflow: null, placed: 0 });

/** Applies one card turn to its fold (in place). */
export function foldCard(f: CardFold, id: string, addr: { org: string; ws: string }, r: SeqRecord): CardFold {
  if (r.rec.cmd.type === 'card.placed') {
    const seq = (r.rec.cmd.data as { seq?: unknown } | undefined)?.seq;
    if (typeof seq === 'number' && seq > f.placed) f.placed = seq;
  }
  for (const e of knownEvents(r.rec.events)) {
    if (e.type === 'card.created') {
      f.view = {
        id,
        board: e.board,
        project: e.project,
        workspace: addr.ws,
        lane: e.lane,
        position: e.position,
        title: e.title,
        description: e.description ?? '',
        assignee: e.assignee ?? null,
        state: r.rec.state,
        blocked: null,
        awaitingApproval: false,
        approvalTask: null,
        summary: null,
        costMicros: 0,
        artifacts: [],
        terminal: `/api/cards/${id}/terminal`,
        deleted: false,
        workflow: null,
        createdCards: [],
        runs: [],
        seq: r.seq,
      };
      continue;
    }
    const view = f.view;
    if (!view) continue;
    switch (e.type) {
      case 'card.updated':
        Object.assign(view, e.title !== undefined ? { title: e.title } : {});
        if (e.description !== undefined) view.description = e.description;
        if (e.assignee !== undefined) view.assignee = e.assignee;
        break;
      case 'card.moved':
        Object.assign(view, {
          lane: e.to,
          position: e.position,
          blocked: null,
          awaitingApproval: false,
          approvalTask: null,
        });
        break;
      case 'card.blocked':
        view.blocked = { code: e.code, reason: e.reason };
        break;
      case 'card.approval.requested':
        view.awaitingApproval = true;
        view.approvalTask = e.task ?? null;
        break;
      case 'card.approval.decided':
        view.awaitingApproval = false;
        view.approvalTask = null;
        break;
      case 'workflow.started': {
        f.workflow = e.workflow;
        view.blocked = null;
        const agents = e.steps.reduce((n, step) => n + step.length, 0);
        view.workflow = {
          workflow: e.workflow,
          lane: e.lane,
          trigger: e.trigger,
          status: 'running',
          steps: e.steps,
          agents,
          agentsFinished: 0,
          progress: 0,
        };
        break;
      }
      case 'workflow.finished':
        view.summary = e.summary;
        if (view.workflow?.workflow === e.workflow) {
          view.workflow.status = e.status;
          if (e.status === 'completed' || e.status === 'awaiting_approval') view.workflow.progress = 100;
        }
        break;
      case 'run.started':
        view.runs.push({
          runId: e.runId,
          workflow: f.workflow,
          lane: e.lane,
          step: e.step,
          agent: e.agent,
          actor: e.actor,
          status: 'running',
          summary: null,
          costMicros: null,
          journal: eventSubject({ org: addr.org, ws: addr.ws, kind: 'agent', id: e.actor.id }),
          log: `/api/cards/${id}/terminal?realtime=false`,
          artifacts: [],
          startedAt: r.rec.cmd.at,
          finishedAt: null,
        });
        break;
      case 'run.finished': {
        const run = view.runs.find((x) => x.runId === e.runId);
        if (!run) break;
        const wf = view.workflow;
        if (wf && run.status === 'running' && run.workflow === wf.workflow) {
          wf.agentsFinished += 1;
          wf.progress = progressOf(wf);
        }
        Object.assign(run, {
          status: e.status,
          summary: e.summary ?? null,
          costMicros: e.costMicros ?? null,
          finishedAt: r.rec.cmd.at,
        });
        view.costMicros += e.costMicros ?? 0;
        if (e.artifacts?.length) {
          run.artifacts = mergeArtifacts(run.artifacts, e.artifacts);
          const written = new Set(e.artifacts.map((a) => a.path));
          view.artifacts = [
            ...view.artifacts.filter((a) => !written.has(a.path)),
            ...run.artifacts
              .filter((a) => written.has(a.path))
              .map((a) => ({ ...a, runId: run.runId, agent: run.agent })),
          ];
        }
        break;
      }
      case 'card.spawned':
        view.createdCards.push({ id: e.card, title: e.title, lane: e.lane, by: e.by });
        break;
      case 'card.spawn.refused': {
        const created = view.createdCards.find((c) => c.id === e.card);
        if (created) created.refused = { code: e.code, reason: e.reason };
        break;
      }
      case 'card.deleted':
        view.deleted = true;
        break;
      default:
        break;
    }
  }
  if (f.view) Object.assign(f.view, { state: r.rec.state, seq: r.seq });
  return f;
}

export function cardView(
  id: string,
  addr: { org: string; ws: string },
  records: readonly SeqRecord[],
): CardView | null {
  const f = emptyCardFold();
  for (const r of records) foldCard(f, id, addr, r);
  return f.view;
}
