/**
 * The `llm.call` effect: one provider call for an agent step. Reads the conversation from the
 * agent's context, streams the reply (deltas go to the live subject, coalesced), and returns the
 * final {@link LlmReply}, which the kernel journals as the effect's result.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentContext, LlmReply } from '../../actors/index.js';
import type { EffectHandler } from '../../actors/kernel/index.js';
import { addressKey, liveSubject } from '../../schemas/index.js';
import { complete, type Provider, type ToolDefinition } from '../providers/provider.js';

export interface LlmCallDeps {
  /** the provider and model serving an agent profile */
  readonly resolve: (profile: string) => { provider: Provider; model: string; system?: string };
  readonly tools: () => readonly ToolDefinition[];
  readonly nc?: NatsConnection;
  /** coalescing window for live deltas (ms) */
  readonly liveFlushMs?: number;
}

export function llmCallHandler(deps: LlmCallDeps): EffectHandler {
  return async ({ address, effect, actorContext, signal }) => {
    const ctx = actorContext as AgentContext;
    const { provider, model, system } = deps.resolve(String(effect.profile ?? ctx.profile));
    const live = deps.nc ? coalescer(deps.nc, liveSubject(address), effect.id, deps.liveFlushMs ?? 50) : undefined;
    try {
      const reply: LlmReply = await complete(
        provider,
        {
          model,
          ...(system ? { system } : {}),
          messages: ctx.messages,
          tools: deps.tools(),
          signal,
          idempotencyKey: `${addressKey(address)}/${effect.id}`,
          script: ctx.script,
          step: Number(effect.step ?? 0),
        },
        live?.push,
      );
      return reply;
    } finally {
      live?.close();
    }
  };
}

/** Batches text deltas into one core-NATS message per window: live views, not the journal. */
function coalescer(nc: NatsConnection, subject: string, effectId: string, windowMs: number) {
  let buf = '';
  let timer: NodeJS.Timeout | undefined;
  let n = 0;
  const flush = () => {
    timer = undefined;
    if (!buf) return;
    nc.publish(subject, JSON.stringify({ type: 'delta', effectId, n: n++, text: buf }));
    buf = '';
  };
  return {
    push: (delta: string) => {
      buf += delta;
      timer ??= setTimeout(flush, windowMs);
    },
    close: () => {
      if (timer) clearTimeout(timer);
      flush();
    },
  };
}
