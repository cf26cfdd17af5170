/** Terminal output helpers for the CLI: aligned tables and the journal timeline. */
import type { RecordWithSeq } from '../client/index.js';
import { decodeKnownEvent, type KnownEvent } from '../schemas/index.js';

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** One event in a line of the timeline; an event this version cannot decode shows its type only. */
export function describeEvent(raw: { type: string }): string {
  let e: KnownEvent | undefined;
  try {
    e = decodeKnownEvent(raw);
  } catch {
    e = undefined;
  }
  switch (e?.type) {
    case 'agent.replied':
      return `agent.replied(step ${e.step}, ${e.tools} tool call(s), ${e.provider})`;
    case 'tool.finished':
      return `tool.finished(${e.name}${e.isError ? ', error' : ''})`;
    case 'task.completed':
      return `task.completed(${e.steps} steps)`;
    case 'task.failed':
      return `task.failed(${e.code})`;
    default:
      return raw.type;
  }
}

export function timeline(records: readonly RecordWithSeq[]): string {
  const rows = [['seq', 'turn', 'actor', 'command', 'state', 'events']];
  for (const { seq, record: r } of records) {
    rows.push([
      String(seq),
      String(r.turn),
      `${r.actor.kind}.${r.actor.id}`,
      r.cmd.type,
      r.state,
      r.events.map(describeEvent).join(', ') || '-',
    ]);
  }
  return table(rows);
}
