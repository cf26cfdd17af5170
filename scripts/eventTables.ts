/**
 * The domain event tables of docs/subjects.md, generated from the event schemas (`EVENTS_BY_KIND`,
 * `KernelEvents`) between two marker comments, so NATS readers see every event and its fields. The
 * generator and the drift test both build the page here, formatted the way prettier formats it.
 */
import type { TSchema } from '@sinclair/typebox';
import { format, resolveConfig } from 'prettier';
import { EVENTS_BY_KIND, KernelEvents, Usage } from '../schemas/index.js';

export const EVENT_TABLES_START = '<!-- generated: event tables (start) -->';
export const EVENT_TABLES_END = '<!-- generated: event tables (end) -->';

const bounds = (s: TSchema) =>
  [
    s.minimum !== undefined ? `≥ ${String(s.minimum)}` : '',
    s.maximum !== undefined ? `≤ ${String(s.maximum)}` : '',
  ]
    .filter(Boolean)
    .join(', ');

/** A short text for a field's schema: `string`, `integer (≥ 0)`, `{ref: string}[]`, `string | null`. */
export function describeSchema(s: TSchema): string {
  if (s === Usage) return 'usage (below)';
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).map(describeSchema).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const type = s.type as string | undefined;
  switch (type) {
    case 'integer':
    case 'number':
      return bounds(s) ? `${type} (${bounds(s)})` : type;
    case 'array':
      return `${describeSchema(s.items as TSchema)}[]`;
    case 'object': {
      const props = Object.entries((s.properties ?? {}) as Record<string, TSchema>);
      const required = new Set((s.required ?? []) as string[]);
      return `{${props.map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${describeSchema(v)}`).join(', ')}}`;
    }
    case undefined:
      return 'any JSON';
    default:
      return type;
  }
}

function table(title: string, events: Record<string, TSchema>): string[] {
  const rows = Object.entries(events).map(([type, schema]) => {
    const props = Object.entries((schema.properties ?? {}) as Record<string, TSchema>).filter(
      ([k]) => k !== 'type',
    );
    const required = new Set((schema.required ?? []) as string[]);
    const fields = props
      .map(([k, v]) => `\`${k}\`${required.has(k) ? '' : '?'}: ${describeSchema(v)}`)
      .join('<br>');
    return `| \`${type}\` | ${fields || '—'} | ${String(schema.description ?? '')} |`;
  });
  return [title, '', '| event | fields (`?` = optional) | meaning |', '| --- | --- | --- |', ...rows, ''];
}

/** The tables, one per actor kind, then the kernel's own event. */
export function eventTablesMarkdown(): string {
  const lines: string[] = [];
  for (const [kind, events] of Object.entries(EVENTS_BY_KIND))
    lines.push(...table(`#### \`${kind}\``, events));
  lines.push(...table('#### Kernel _(any kind)_', KernelEvents));
  return lines.join('\n');
}

/** `doc` with the generated tables between the markers, formatted as prettier formats the page. */
export async function withEventTables(doc: string, path: string): Promise<string> {
  const start = doc.indexOf(EVENT_TABLES_START);
  const end = doc.indexOf(EVENT_TABLES_END);
  if (start < 0 || end < start) throw new Error(`${path}: event table markers not found`);
  const spliced = `${doc.slice(0, start + EVENT_TABLES_START.length)}\n\n${eventTablesMarkdown()}\n${doc.slice(end)}`;
  return format(spliced, { ...(await resolveConfig(path)), filepath: path });
}
