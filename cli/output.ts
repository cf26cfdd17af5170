/** Terminal output helpers for the CLI: aligned tables and the journal timeline. */
import type { RecordWithSeq } from '../client/index.js';

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

export function describeEvent(e: { type: string; [k: string]: unknown }): string {
  switch (e.type) {
    case 'agent.replied':
      return `agent.replied(step ${String(e.step)}, ${String(e.tools)} tool call(s), ${String(e.provider)})`;
    case 'tool.finished':
      return `tool.finished(${String(e.name)}${e.isError ? ', error' : ''})`;
    case 'task.completed':
      return `task.completed(${String(e.steps)} steps)`;
    case 'task.failed':
      return `task.failed(${String(e.code)})`;
    default:
      return e.type;
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
