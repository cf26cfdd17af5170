/**
 * The span of one journal append (tracing on): a child of the first turn's span in the entry, linked
 * to the other turns' spans when the entry carries several (a group commit serves many traces at
 * once). Its W3C context is published with the entry as NATS headers, so a reader of MOE_EVT (the
 * gateway waiting for the turn, a projection) can join the trace of the turn it reads.
 */
import { addressKey, eventSubject, type ActorAddress } from '../../schemas/index.js';
import type { Mail } from './actorCell.js';
import { ATTR, inSpan, ROOT_CONTEXT, SpanKind, traceHeaders, type Link } from './tracing.js';
import { turnContext } from './turnSpans.js';

export function appendSpan<T>(
  mails: ReadonlyArray<Mail | undefined>,
  address: ActorAddress,
  append: (trace: Record<string, string> | undefined) => Promise<T>,
): Promise<T> {
  const parent = turnContext(mails[0]);
  const links: Link[] = [];
  for (const m of mails.slice(1))
    if (m?.span) links.push({ context: m.span.spanContext(), attributes: { [ATTR.commandId]: m.cmd.id } });
  return inSpan(
    'journal.append',
    {
      kind: SpanKind.PRODUCER,
      parent: parent ?? ROOT_CONTEXT,
      links,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'send',
        'messaging.destination.name': eventSubject(address),
        [ATTR.actor]: addressKey(address),
        [ATTR.entryTurns]: mails.length,
      },
    },
    () => append(traceHeaders()),
  );
}
