/**
 * The provider router (seed 002's "unified chat, cost + markup, circuit breaker, per-provider rate
 * limits"): given an agent profile it walks the profile's chain of provider/model targets,
 *
 *   for each target: configured? → circuit closed (or a half-open probe)? → gate reserves rate and
 *   budget → call with retries (backoff honouring retry-after) and a per-attempt timeout
 *   → success: close the circuit, price the usage, settle the reservation, return
 *   → failure: count it on the circuit, release the reservation, fall back to the next target
 *
 * and returns the reply together with the provider and model that actually served it, what the
 * call cost us and what the customer pays. Terminal errors (a request the provider rejects as
 * malformed, a spent budget, cancellation) are thrown at once; when every target failed, the last
 * retryable error is thrown with its retry-after, so the kernel can re-drive the effect later.
 * Each target is sent the conversation cut to its model's context window (contextPolicy.ts).
 */
import type { Logger } from 'pino';
import type { LlmReply } from '../../actors/index.js';
import {
  isMoeError,
  type CallAttempts,
  type MoeError,
  type ScriptStep,
  type Usage,
} from '../../schemas/index.js';
import type { AgentMessage } from '../../actors/index.js';
import { errors } from '../errors.js';
import {
  BreakerRegistry,
  DEFAULT_BREAKER_OPTIONS,
  type BreakerOptions,
  type BreakerSnapshot,
} from './circuitBreaker.js';
import { systemClock, type Clock } from '../../actors/kernel/index.js';
import { fitToContext } from './contextPolicy.js';
import { contextWindowOf } from './contextWindows.js';
import { estimateUsage, totalTokens } from './estimate.js';
import { providerFailure } from './failure.js';
import type { CallGate, GateTicket } from './gate.js';
import { planResolver, type Plan, type PlanOf } from './plans.js';
import { costOf, DEFAULT_PRICE_TABLE, lookupPrice, priceOf, type PriceTable } from './prices.js';
import { chainOf, profileOf, type AgentProfile } from './profiles.js';
import {
  carryBilledUsage,
  complete,
  usageBilledBefore,
  type ChatRequest,
  type Provider,
  type ToolDefinition,
} from './provider.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from './retry.js';
import type { ProviderObserver } from './providerObserver.js';

export const DEFAULT_TIMEOUT_MS = 120_000;

export interface RouterOptions {
  readonly providers: ReadonlyMap<string, Provider>;
  readonly profiles: Readonly<Record<string, AgentProfile>>;
  readonly prices?: PriceTable;
  /** org → billing plan (markup); default: every org on the 5× `standard` plan */
  readonly planOf?: PlanOf;
  readonly retry?: Partial<RetryPolicy>;
  readonly breaker?: Partial<BreakerOptions>;
  /** cluster-wide rate limits and budgets (workspace-node/limits) */
  readonly gate?: CallGate;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** per attempt, from request to the stream's end */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /** told of every attempt and served reply (the node's metrics) */
  readonly observer?: ProviderObserver;
}

export interface RouterCall {
  readonly org: string;
  /** the caller's workspace and project, for their budgets (gate.ts) */
  readonly ws?: string;
  readonly project?: string;
  readonly profile: string;
  readonly messages: readonly AgentMessage[];
  /** the tools the caller can run; the profile may offer only some of them */
  readonly tools: readonly ToolDefinition[];
  /** the effect id: stable across re-drives */
  readonly idempotencyKey: string;
  readonly step: number;
  /** the task's script (scripted provider only) */
  readonly script?: readonly ScriptStep[] | null;
  readonly signal?: AbortSignal;
  /** live text; a retry or fallback starts a new `attempt`, so views should reset on a change */
  readonly onDelta?: (delta: string, attempt: AttemptInfo) => void;
  /** the priced reply the moment it is complete, before the limits are settled (to record it) */
  readonly onReply?: (routed: RoutedReply) => void;
  /** the caller's billing plan (its workspace's `billing.plan`); default: the configured plan of the org */
  readonly plan?: Plan;
}

export interface AttemptInfo {
  readonly provider: string;
  readonly model: string;
  /** 1-based, per target */
  readonly attempt: number;
}

export interface AttemptRecord extends AttemptInfo {
  readonly outcome: 'ok' | 'failed' | 'skipped';
  readonly code?: string;
  /** the wait before the next attempt, when one followed */
  readonly waitMs?: number;
  /** tokens the provider reported for this failed attempt (billed although it failed) */
  readonly billed?: Usage;
}

export interface RoutedReply {
  /** `reply.provider` is the provider that served; `reply.model` what it reported */
  readonly reply: LlmReply;
  readonly provider: string;
  /** the model that was asked for (and priced) */
  readonly model: string;
  /** provider cost, µ$ */
  readonly costMicros: number;
  /** customer price = cost × markup, µ$ */
  readonly priceMicros: number;
  readonly markup: number;
  readonly priceTable: string;
  readonly attempts: readonly AttemptRecord[];
  /** the failed attempts per target, priced (journaled with the reply); empty when the first try served */
  readonly attemptSummary: CallAttempts[];
}

export interface ProviderRouter {
  /** @example const { reply, priceMicros } = await router.call({ org, profile: 'default', messages, tools, idempotencyKey: effectId, step }); */
  call(call: RouterCall): Promise<RoutedReply>;
  /** circuit state of every provider/model used so far */
  health(): BreakerSnapshot[];
  profile(name: string): AgentProfile;
}

/** Whether a failure on one target should send the call to the next one. */
function fallsBack(err: MoeError): boolean {
  if (err.code === errors.LLM_CANCELLED.spec.code) return false;
  if (err.retryable) return true;
  // wrong key, no access, unknown model: a configuration problem of this provider, not of the request
  const status = err.details?.status;
  return status === 401 || status === 403 || status === 404;
}

/** Failures that say something about the provider's health (not cancellation, not a bad request). */
function countsAgainstCircuit(err: MoeError): boolean {
  return err.retryable && err.code !== errors.LLM_CANCELLED.spec.code;
}

const RATE_LIMITED = errors.PROVIDER_RATE_LIMITED.spec.code;

/**
 * The attempts of one call per provider/model target, when any failed: counts (429s apart), the
 * backoff waited, and what failed attempts were billed (usage the provider reported before
 * failing, priced like a reply). Empty when the first attempt served.
 */
export function summarizeAttempts(
  attempts: readonly AttemptRecord[],
  costOfUsage: (provider: string, model: string, usage: Usage) => number,
  markup: number,
): CallAttempts[] {
  if (!attempts.some((a) => a.outcome === 'failed')) return [];
  const byTarget = new Map<string, CallAttempts>();
  for (const a of attempts) {
    if (a.outcome === 'skipped') continue;
    const key = `${a.provider}/${a.model}`;
    const cur = byTarget.get(key) ?? {
      provider: a.provider,
      model: a.model,
      count: 0,
      rateLimited: 0,
      otherFailures: 0,
      waitMs: 0,
      failedUsage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      failedCostMicros: 0,
      failedPriceMicros: 0,
    };
    const failed = a.outcome === 'failed';
    const billed = a.billed;
    const cost = billed ? costOfUsage(a.provider, a.model, billed) : 0;
    byTarget.set(key, {
      ...cur,
      count: cur.count + 1,
      rateLimited: cur.rateLimited + (failed && a.code === RATE_LIMITED ? 1 : 0),
      otherFailures: cur.otherFailures + (failed && a.code !== RATE_LIMITED ? 1 : 0),
      waitMs: cur.waitMs + Math.round(a.waitMs ?? 0),
      failedUsage: billed
        ? {
            inputTokens: cur.failedUsage.inputTokens + billed.inputTokens,
            outputTokens: cur.failedUsage.outputTokens + billed.outputTokens,
            cacheReadTokens: cur.failedUsage.cacheReadTokens + billed.cacheReadTokens,
            cacheWriteTokens: cur.failedUsage.cacheWriteTokens + billed.cacheWriteTokens,
          }
        : cur.failedUsage,
      failedCostMicros: cur.failedCostMicros + cost,
      failedPriceMicros: cur.failedPriceMicros + priceOf(cost, markup),
    });
  }
  return [...byTarget.values()];
}

export function createRouter(options: RouterOptions): ProviderRouter {
  const clock = options.clock ?? systemClock;
  const prices = options.prices ?? DEFAULT_PRICE_TABLE;
  const planOf = options.planOf ?? planResolver();
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const breakers = new BreakerRegistry({ ...DEFAULT_BREAKER_OPTIONS, ...options.breaker }, clock);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = options.logger;
  const observer = options.observer;

  // Configuration is checked once: every configured target of every profile must have a price.
  for (const profile of Object.values(options.profiles)) {
    for (const t of chainOf(profile))
      if (options.providers.has(t.provider)) lookupPrice(prices, t.provider, t.model);
  }

  async function attemptOnce(
    provider: Provider,
    request: ChatRequest,
    info: AttemptInfo,
    call: RouterCall,
  ): Promise<LlmReply> {
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(call.signal?.reason);
    if (call.signal?.aborted) onCallerAbort();
    call.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(errors.PROVIDER_TIMEOUT(`${info.provider}/${info.model} after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const started = observer ? performance.now() : 0;
    const took = () => (performance.now() - started) / 1000;
    try {
      const reply = await complete(provider, { ...request, signal: controller.signal }, (d) =>
        call.onDelta?.(d, info),
      );
      observer?.attempt(info.provider, info.model, 'ok', took());
      return reply;
    } catch (err) {
      const failure = providerFailure(err, {
        provider: info.provider,
        model: info.model,
        signal: controller.signal,
      });
      observer?.attempt(info.provider, info.model, 'error', took(), failure.code);
      if (failure !== err) carryBilledUsage(err, failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function call(c: RouterCall): Promise<RoutedReply> {
    const profile = profileOf(options.profiles, c.profile);
    const offered = profile.tools ? new Set(profile.tools) : undefined;
    const markup = (c.plan ?? planOf(c.org)).markup;
    const attempts: AttemptRecord[] = [];
    let lastError: MoeError | undefined;

    const chain = chainOf(profile);
    for (const target of chain) {
      const provider = options.providers.get(target.provider);
      if (!provider) {
        attempts.push({ ...target, attempt: 0, outcome: 'skipped', code: errors.PROVIDER_UNKNOWN.spec.code });
        continue;
      }
      const price = lookupPrice(prices, target.provider, target.model);
      const tools = offered ? c.tools.filter((t) => offered.has(t.name)) : c.tools;
      // the context policy: what fits this target's window is sent, never the unbounded history
      const fitted = fitToContext(c.messages, {
        window: contextWindowOf(target.provider, target.model, profile.contextWindow),
        ...(profile.maxTokens !== undefined ? { maxTokens: profile.maxTokens } : {}),
        ...(profile.system !== undefined ? { system: profile.system } : {}),
        tools,
      });
      const request: ChatRequest = {
        model: target.model,
        ...(profile.system !== undefined ? { system: profile.system } : {}),
        messages: fitted.messages,
        tools,
        ...(profile.maxTokens !== undefined ? { maxTokens: profile.maxTokens } : {}),
        idempotencyKey: c.idempotencyKey,
        script: c.script ?? null,
        step: c.step,
      };

      const breaker = breakers.get(target.provider, target.model);
      if (!breaker.tryAcquire()) {
        const retryAt = breaker.snapshot().retryAt ?? clock.now();
        lastError = errors.CIRCUIT_OPEN(`${breaker.key}`, {
          retryAfterMs: Math.max(0, retryAt - clock.now()),
        });
        attempts.push({ ...target, attempt: 0, outcome: 'skipped', code: lastError.code });
        observer?.attempt(target.provider, target.model, 'skipped', 0);
        continue;
      }

      let ticket: GateTicket | undefined;
      if (options.gate) {
        const estimate = estimateUsage(request);
        try {
          ticket = await options.gate.reserve({
            org: c.org,
            ...(c.ws !== undefined ? { ws: c.ws } : {}),
            ...(c.project !== undefined ? { project: c.project } : {}),
            ...target,
            tokens: totalTokens(estimate),
            priceMicros: priceOf(costOf(estimate, price), markup),
          });
        } catch (err) {
          breaker.release();
          const e = isMoeError(err) ? err : errors.LIMITS_CONTENDED(String(err), { cause: err });
          if (e.code !== errors.RATE_LIMIT_EXCEEDED.spec.code) throw e;
          lastError = e;
          attempts.push({ ...target, attempt: 0, outcome: 'skipped', code: e.code });
          observer?.attempt(target.provider, target.model, 'skipped', 0);
          continue;
        }
      }

      try {
        let served = 0;
        const reply = await withRetry(
          (attempt) => {
            served = attempt;
            return attemptOnce(provider, request, { ...target, attempt }, c);
          },
          {
            policy,
            clock,
            ...(options.random ? { random: options.random } : {}),
            ...(c.signal ? { signal: c.signal } : {}),
            classify: (err) => providerFailure(err, { ...target, signal: c.signal }),
            onFailure: (err, attempt) => {
              if (countsAgainstCircuit(err)) breaker.onFailure();
              else breaker.release();
              const billed = usageBilledBefore(err);
              attempts.push({
                ...target,
                attempt,
                outcome: 'failed',
                code: err.code,
                ...(billed ? { billed } : {}),
              });
              log?.warn(
                { provider: target.provider, model: target.model, attempt, code: err.code, err },
                'provider attempt failed',
              );
              return breaker.state === 'closed';
            },
            onRetry: ({ delayMs }) => {
              const last = attempts.pop();
              if (last) attempts.push({ ...last, waitMs: delayMs });
            },
          },
        );
        breaker.onSuccess();
        attempts.push({ ...target, attempt: served, outcome: 'ok' });
        const costMicros = costOf(reply.usage, price);
        const priceMicros = priceOf(costMicros, markup);
        observer?.usage(target.provider, target.model, reply.usage, costMicros);
        if (target !== chain[0]) observer?.fallback?.(target.provider, target.model);
        const routed = {
          reply,
          ...target,
          costMicros,
          priceMicros,
          markup,
          priceTable: prices.version,
          attempts,
          attemptSummary: summarizeAttempts(
            attempts,
            (p, m, u) => costOf(u, lookupPrice(prices, p, m)),
            markup,
          ),
        };
        c.onReply?.(routed);
        if (ticket) {
          await ticket
            .settle({ tokens: totalTokens(reply.usage), priceMicros })
            .catch((err: unknown) =>
              log?.error({ err, org: c.org, ...target }, 'limits settlement failed; the reservation stands'),
            );
        }
        return routed;
      } catch (err) {
        const e = isMoeError(err) ? err : providerFailure(err, { ...target, signal: c.signal });
        if (ticket) {
          await ticket
            .release()
            .catch((rerr: unknown) =>
              log?.error({ err: rerr, org: c.org, ...target }, 'limits release failed'),
            );
        }
        if (!fallsBack(e)) throw e;
        lastError = e;
      }
    }
    throw (
      lastError ?? errors.PROVIDER_UNKNOWN(`profile ${profile.name}: no configured provider in its chain`)
    );
  }

  return {
    call,
    health: () => breakers.snapshot(),
    profile: (name) => profileOf(options.profiles, name),
  };
}
