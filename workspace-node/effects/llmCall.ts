/**
 * The `llm.call` effect: one provider call for an agent (or coordinator) step, through the
 * provider router (profile → provider/model chain, retries, circuit breakers, cluster rate limits
 * and budgets, exact cost and price). Gets the conversation and script in its spec
 * (`SpecOf<'llm.call'>`), streams the reply (deltas go to the live subject, coalesced), and returns the final
 * {@link LlmReply} with what the call cost and what the customer pays; the kernel journals it as
 * the effect's result, so replay never re-prices or re-bills a call.
 *
 * Retries — one policy, the router's: it retries each target (backoff, retry-after), falls back
 * along the profile's chain and counts failures on the circuit breakers. What it gives up on is
 * handed to the kernel as terminal, EXCEPT a failure that says "come back at T" (a retry-after the
 * router would not sleep on: the cluster rate-limit window, an open circuit, a long provider
 * retry-after); the kernel re-drives those after that delay, with the same effect id.
 *
 * A NATS/JetStream outage met on the way (reserving rate and budget in KV while a server is killed
 * or a leader elected: MOE_ERR_LIMITS_UNAVAILABLE with the client's timeout as its cause) is not a
 * provider failure and stays retryable: the kernel waits the outage out (actors/kernel/effects.ts)
 * and the call runs once the bus is back. No provider was paid for it: the reservation comes
 * before the call, and a reply is recorded the moment it is priced, so a retry never calls twice.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { LlmReply } from '../../actors/index.js';
import {
  ATTR,
  inSpan,
  isNatsOutage,
  SpanKind,
  type EffectHandlerOf,
  type Span,
} from '../../actors/kernel/index.js';
import { addressKey, isMoeError, liveSubject, MoeError, type LiveDelta } from '../../schemas/index.js';
import type { AttemptInfo, Plan, ProviderRouter, RoutedReply, ToolDefinition } from '../providers/index.js';
import { capReply } from './caps.js';
import { createCardDefinition } from './createCard.js';

/** The node's tools, and `create_card` for an agent of a card's lane workflow with cardsTo. */
function toolsFor(
  effect: { cardTool?: true },
  tools: () => readonly ToolDefinition[],
): readonly ToolDefinition[] {
  return effect.cardTool ? [...tools(), createCardDefinition] : tools();
}

export interface LlmCallDeps {
  readonly router: ProviderRouter;
  readonly tools: () => readonly ToolDefinition[];
  /** tools whose calls wait for `task.approve` (the node's toolset); annotated on the reply */
  readonly needsApproval?: (tool: string) => boolean;
  readonly nc?: NatsConnection;
  /** coalescing window for live deltas (ms) */
  readonly liveFlushMs?: number;
  /**
   * the workspace's billing plan now (billing/planHistory.ts), priced into the call so usage and
   * invoices agree after a plan change; undefined: the configured plan of the org
   */
  readonly plan?: () => Plan | undefined;
}

/**
 * The router already retried: only a "retry after T" failure, or a NATS outage (the bus, not the
 * provider), goes back to the kernel as retryable.
 */
export function forKernel(err: unknown): unknown {
  if (!isMoeError(err) || !err.retryable || err.retryAfterMs !== undefined || isNatsOutage(err)) return err;
  return new MoeError(
    { code: err.code, message: err.message, status: err.status, retryable: false },
    undefined,
    {
      cause: err,
      ...(err.details ? { details: err.details } : {}),
    },
  );
}

export function llmCallHandler(deps: LlmCallDeps): EffectHandlerOf<'llm.call'> {
  return async ({ address, effect, signal, checkpoint }) => {
    const live = deps.nc
      ? coalescer(deps.nc, liveSubject(address), effect.id, effect.step, deps.liveFlushMs ?? 50)
      : undefined;
    const started = performance.now();
    try {
      // The reply is recorded the moment it is priced (before the limits settle): see effectOutcomes.ts.
      const valueOf = (routed: RoutedReply): LlmReply => {
        const { reply } = routed;
        const approval = deps.needsApproval
          ? [...new Set(reply.toolCalls.map((c) => c.name).filter((n) => deps.needsApproval?.(n)))]
          : [];
        return capReply({
          ...reply,
          provider: routed.provider,
          model: routed.model,
          ...(reply.model !== routed.model ? { servedModel: reply.model } : {}),
          costMicros: routed.costMicros,
          priceMicros: routed.priceMicros,
          markup: routed.markup,
          priceTable: routed.priceTable,
          durationMs: Math.round(performance.now() - started),
          ...(approval.length ? { approval } : {}),
          ...(routed.attemptSummary.length ? { attempts: routed.attemptSummary } : {}),
          org: address.org,
          ws: address.ws,
          actor: addressKey(address),
        });
      };
      // Recorded the moment it is priced (a re-drive reuses it); a reply over the cap is not
      // recorded here: the return below throws its terminal MOE_ERR_REPLY_TOO_LARGE.
      const record = (r: RoutedReply) => {
        let value: LlmReply;
        try {
          value = valueOf(r);
        } catch {
          return;
        }
        checkpoint?.(value);
      };
      const call = async (span: Span | undefined) => {
        const project = projectOfActor(address.id);
        const plan = deps.plan?.();
        const routed = await deps.router.call({
          ...(plan ? { plan } : {}),
          org: address.org,
          ws: address.ws,
          ...(project ? { project } : {}),
          profile: effect.profile,
          messages: effect.messages,
          tools: effect.tools === false ? [] : toolsFor(effect, deps.tools),
          idempotencyKey: `${addressKey(address)}/${effect.id}`,
          step: effect.step,
          script: effect.script,
          signal,
          onDelta: (d, info) => live?.push(d, info),
          ...(checkpoint ? { onReply: record } : {}),
        });
        span?.setAttributes(callAttributes(routed));
        return valueOf(routed);
      };
      return await inSpan(
        'llm.call',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'moe.llm.profile': effect.profile,
            'moe.llm.step': effect.step,
            [ATTR.effectId]: effect.id,
          },
        },
        call,
      );
    } catch (err) {
      throw forKernel(err);
    } finally {
      live?.close();
    }
  };
}

/** A task's project, from its id (`<ws>-<project>-t…`, as the gateway makes them); none otherwise. */
export function projectOfActor(id: string): string | undefined {
  return /^w[0-9a-f]{16}-(p[0-9a-f]{16})-/.exec(id)?.[1];
}

/** What a traced `llm.call` span learns from the routed reply (docs/operations.md, "Tracing"). */
function callAttributes(r: RoutedReply) {
  return {
    'gen_ai.provider.name': r.provider,
    'gen_ai.request.model': r.model,
    'gen_ai.response.model': r.reply.model,
    'gen_ai.usage.input_tokens': r.reply.usage.inputTokens,
    'gen_ai.usage.output_tokens': r.reply.usage.outputTokens,
    'moe.llm.cost_micros': r.costMicros,
    'moe.llm.price_micros': r.priceMicros,
    'moe.llm.attempts': r.attempts.length,
  };
}

/**
 * Batches text deltas into one core-NATS message per window ({@link LiveDelta}): live views, not
 * the journal, so a reply costs a handful of publishes and no journal write per delta. A new
 * provider attempt (a retry restarts the text) flushes what the previous one left and restarts `n`.
 */
function coalescer(nc: NatsConnection, subject: string, effectId: string, step: number, windowMs: number) {
  let buf = '';
  let timer: NodeJS.Timeout | undefined;
  let n = 0;
  let attempt = 0;
  let current: AttemptInfo | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!buf) return;
    const delta: LiveDelta = { type: 'delta', effectId, step, attempt, n: n++, text: buf };
    nc.publish(subject, JSON.stringify(delta));
    buf = '';
  };
  return {
    push: (text: string, info: AttemptInfo) => {
      // the router makes one AttemptInfo per attempt (retries and fallback targets alike)
      if (info !== current) {
        flush();
        current = info;
        attempt++;
        n = 0;
      }
      buf += text;
      timer ??= setTimeout(flush, windowMs);
    },
    close: flush,
  };
}
