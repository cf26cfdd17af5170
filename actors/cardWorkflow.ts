/**
 * Pure helpers of a card's lane workflow (seed 002 `LANE_WORKFLOWS`): which agents run in which
 * steps, the prompt each agent gets (the card plus the previous agents' output), and the
 * `task.submit` it is sent. No I/O: the card machine turns these into `actor.send` effects.
 */
import type { AgentConfig, CardConfig, LaneWorkflow } from '../schemas/index.js';

/** What an agent is told of a previous agent's output, at most (the full text stays in its journal). */
export const MAX_OUTPUT_IN_PROMPT = 4_000;
/** The summary kept on a card and in `run.finished`. */
export const MAX_SUMMARY = 500;

export interface StepOutput {
  agent: string;
  result: string;
}

export const shorten = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** The agents an auto-triggered lane runs: `sequence`, else just `autoTrigger`; none without it. */
export function autoAgents(workflow: LaneWorkflow | undefined): string[] {
  if (!workflow?.autoTrigger) return [];
  return workflow.sequence ?? [workflow.autoTrigger];
}

/** Steps of a run: one agent per step in a sequence, all agents in one step when `parallel`. */
export function stepsOf(agents: readonly string[], parallel: boolean | undefined): string[][] {
  if (agents.length === 0) return [];
  return parallel ? [[...agents]] : agents.map((a) => [a]);
}

/**
 * The agents a manual run of `agent` starts: the lane's whole `manualTrigger` list side by side when
 * the lane is `parallel` and names the agent there, else the agent alone.
 */
export function manualAgents(workflow: LaneWorkflow | undefined, agent: string): string[][] {
  const list = workflow?.manualTrigger;
  if (list && workflow?.parallel && list.includes(agent)) return [[...list]];
  return [[agent]];
}

/**
 * What a lane's `exitCriteria` asks of its workflow's agents, beyond every step completing:
 *   `approved`       a person decides (the card machine's approval gate)
 *   `files_written`  the workflow's agents wrote at least one file
 *   `file:<path>`    they wrote this file (as their tools name it, relative to the project folder)
 *   `cards_created`  they created at least one card (create_card, the lane's `cardsTo`)
 *   any other name   nothing more (a label: every step completed is the criterion)
 */
export type ExitCriterion =
  | { kind: 'approved' }
  | { kind: 'files_written' }
  | { kind: 'file'; path: string }
  | { kind: 'cards_created' }
  | { kind: 'steps' };

export function exitCriterion(text: string | undefined): ExitCriterion {
  if (text === 'approved') return { kind: 'approved' };
  if (text === 'files_written') return { kind: 'files_written' };
  if (text === 'cards_created') return { kind: 'cards_created' };
  if (text?.startsWith('file:'))
    return { kind: 'file', path: text.slice('file:'.length).replace(/^\.\//, '') };
  return { kind: 'steps' };
}

/**
 * Why what the workflow's agents did (`written`: the artifact paths of their files; `cards`: how
 * many cards they created) does not meet `criterion`, or null when it does (or it asks for
 * neither). An artifact path may carry the project folder in front of the path the agent gave:
 * `projects/p1/docs/a.md` meets `file:docs/a.md`.
 */
export function unmetExit(
  criterion: ExitCriterion,
  done: { written: readonly string[]; cards: number },
): string | null {
  const { written } = done;
  if (criterion.kind === 'cards_created')
    return done.cards > 0 ? null : 'exitCriteria cards_created: the agents created no card';
  if (criterion.kind === 'files_written')
    return written.length > 0 ? null : 'exitCriteria files_written: the agents wrote no file';
  if (criterion.kind !== 'file') return null;
  const { path } = criterion;
  return written.some((w) => w === path || w.endsWith(`/${path}`))
    ? null
    : `exitCriteria file:${path}: the agents did not write ${path}`;
}

/** The line an agent's prompt gets about a file or card criterion (none for the others). */
function exitHint(criterion: ExitCriterion): string | null {
  if (criterion.kind === 'cards_created')
    return 'To leave this lane, the agents must create at least one card with the create_card tool.';
  if (criterion.kind === 'files_written')
    return 'To leave this lane, the agents must write at least one file.';
  if (criterion.kind === 'file')
    return `To leave this lane, the agents must write the file ${criterion.path}.`;
  return null;
}

export function cardPrompt(
  card: { title: string; description: string; lane: string },
  agent: string,
  previous: readonly StepOutput[],
  exit: ExitCriterion = { kind: 'steps' },
  cardsTo?: string,
): string {
  const hint = exitHint(exit);
  const cards = cardsTo
    ? `You can put new cards on this board with the create_card tool (title, description); they go to lane ${cardsTo}.`
    : null;
  const parts = [
    `You are the ${agent} agent working on a card of a board.`,
    `Card: ${card.title}`,
    ...(card.description ? [card.description] : []),
    `Lane: ${card.lane}`,
    ...(cards ? [cards] : []),
    ...(hint ? [hint] : []),
  ];
  if (previous.length > 0) {
    parts.push("Previous agents' output:");
    for (const p of previous) parts.push(`--- ${p.agent}:\n${shorten(p.result, MAX_OUTPUT_IN_PROMPT)}`);
  }
  return parts.join('\n\n');
}

/** The `task.submit` data of one agent step (the agent's project config, the lane's script for it). */
export function agentSubmit(
  config: CardConfig | null,
  workflow: LaneWorkflow | undefined,
  agent: string,
  prompt: string,
  project: string,
  ref: string,
): Record<string, unknown> {
  const ac: AgentConfig | undefined = config?.agents.find((a) => a.name === agent);
  const script = workflow?.scripts?.[agent];
  return {
    prompt,
    profile: ac ? (ac.profile ?? ac.name) : 'default',
    ...(ac?.maxSteps !== undefined ? { maxSteps: ac.maxSteps } : {}),
    ...(ac?.approval && ac.approval.length > 0 ? { approvalRequired: ac.approval } : {}),
    ...(script ? { script } : {}),
    ...(project ? { project } : {}),
    ...(workflow?.cardsTo ? { createCards: { lane: workflow.cardsTo } } : {}),
    parent: { ref },
  };
}
