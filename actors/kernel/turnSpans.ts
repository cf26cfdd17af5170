/**
 * The turn span of a delivered command (tracing.ts): started when the command is checked and put
 * in its actor's mailbox, as a child of the context its headers carry (the span that published it),
 * and ended when the command is settled: its turn durable and acked, its dead letter stored, or
 * sent back for a retry. Only made when tracing is on; a mail without a span costs nothing here.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { addressKey, type ActorAddress, type CommandEnvelope } from '../../schemas/index.js';
import type { Mail } from './actorCell.js';
import {
  ATTR,
  contextFromHeaders,
  failSpan,
  otelTrace,
  ROOT_CONTEXT,
  serializeTrace,
  SpanKind,
  tracer,
  type Context,
  type Span,
} from './tracing.js';

/** Starts the span of `cmd`'s turn under the trace its message carries. */
export function startTurnSpan(msg: JsMsg, address: ActorAddress, cmd: CommandEnvelope): Span {
  return tracer.startSpan(
    `turn ${address.kind} ${cmd.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.destination.name': msg.subject,
        'messaging.message.id': String(msg.info.streamSequence),
        [ATTR.actor]: addressKey(address),
        [ATTR.actorKind]: address.kind,
        [ATTR.org]: address.org,
        [ATTR.ws]: address.ws,
        [ATTR.commandId]: cmd.id,
        [ATTR.commandType]: cmd.type,
        'messaging.message.delivery_count': msg.info.deliveryCount,
      },
    },
    contextFromHeaders(msg.headers),
  );
}

/** Ends the mail's turn span (failed with `err` when given); a mail without one is left alone. */
export function endTurnSpan(mail: Mail, outcome: string, err?: unknown): void {
  const span = mail.span;
  if (!span) return;
  mail.span = undefined;
  span.setAttribute(ATTR.outcome, outcome);
  if (err !== undefined) failSpan(span, err);
  span.end();
}

/** The context of the mail's turn span (to parent the spans its turn causes). */
export function turnContext(mail: Mail | undefined): Context | undefined {
  return mail?.span ? otelTrace.setSpan(ROOT_CONTEXT, mail.span) : undefined;
}

/** The stored form of the mail's turn context (kept with the effects its turn starts), or null. */
export function turnTrace(mail: Mail | undefined): string | null {
  const ctx = turnContext(mail);
  return ctx ? serializeTrace(ctx) : null;
}
