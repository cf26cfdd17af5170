/**
 * Runs the effects a durable turn started, and fires durable timers. Each outcome goes back to the
 * actor as a command with id `fx:<actor>:<effectId>` — the same id however often the effect is
 * re-driven — so the journal never holds two results for one effect.
 *
 * With an {@link EffectOutcomes} store, an outcome is recorded locally before it is published, and
 * an effect that already has a recorded outcome (a re-drive after a crash, or a second kernel on
 * the same data dir) is not run again: the recorded outcome is published. An effect that is no
 * longer pending in `sessions.db` (another kernel on the same data dir applied its result) is
 * dropped.
 *
 * A retried attempt (effects.ts: a retryable error, or a NATS outage met inside the handler) never
 * runs the side effect again once a value was recorded: an attempt after a checkpoint (an LLM reply
 * recorded the moment it was priced) returns that value instead of calling the handler.
 */
import type { KernelObserver } from './kernelObserver.js';
import type { Logger } from 'pino';
import { addressKey, type ActorAddress, type EffectSpec } from '../../schemas/index.js';
import type { Clock } from './clock.js';
import type { CommandPublisher } from './commandPublisher.js';
import type { EffectDispatch } from './effectDispatch.js';
import type { EffectOutcomes } from './effectOutcomes.js';
import { runWithRetry, type EffectHandler, type EffectOutcome, type EffectRetryPolicy } from './effects.js';
import {
  ATTR,
  deserializeTrace,
  inSpan,
  otelContext,
  otelTrace,
  SpanStatusCode,
  tracingOn,
} from './tracing.js';

export function effectCommandId(address: ActorAddress, effectId: string): string {
  return `fx:${addressKey(address)}:${effectId}`;
}

/** Where the scheduler counts the effects it started and those that ended failed (KernelStats). */
export interface EffectCounters {
  effectsStarted: number;
  effectsFailed: number;
}

export class EffectScheduler {
  private readonly running = new Map<string, AbortController>();
  private readonly timers = new Map<string, unknown>();
  private readonly stopper = new AbortController();
  /** effects whose recorded outcome was published instead of running them again */
  reused = 0;

  constructor(
    private readonly dispatch: EffectDispatch,
    private readonly publisher: CommandPublisher,
    private readonly clock: Clock,
    private readonly retry: EffectRetryPolicy,
    private readonly log: Logger,
    private readonly outcomes?: EffectOutcomes,
    /** called right after an outcome is recorded, before it is published (fault injection in tests) */
    private readonly afterRecord?: (kind: string) => void,
    readonly counters: EffectCounters = { effectsStarted: 0, effectsFailed: 0 },
    /** the process's metrics (kernelObserver.ts) */
    private readonly observer?: Pick<KernelObserver, 'effectStarted' | 'effectFailed'>,
  ) {}

  /**
   * Starts an effect unless it is already running in this process (idempotent). `actorContext` is
   * the context of the actor after the turn that started it: its kind reads the effect's inputs.
   * `trace` is the stored trace context of that turn (tracing on): the effect's span, the calls
   * it makes and the outcome it publishes join that trace, also when it is `redriven` after a restart.
   */
  start(
    address: ActorAddress,
    effect: EffectSpec,
    actorContext: unknown,
    session: string,
    trace?: string,
    redriven = false,
  ): void {
    if (effect.kind === 'timer') return this.schedule(address, effect, trace);
    const gid = `${addressKey(address)}/${effect.id}`;
    if (this.running.has(gid) || this.stopper.signal.aborted) return;
    const spec = this.dispatch.specOf(address, effect, actorContext);
    // stop() aborts every running effect through `running`: no listener per effect on one shared
    // signal (a restart re-driving many effects would pass Node's limit of ten and warn).
    const ac = new AbortController();
    this.running.set(gid, ac);
    this.counters.effectsStarted++;
    this.observer?.effectStarted(spec.kind);
    const run = () => this.execute(address, spec, session, ac.signal);
    void (tracingOn() ? effectSpan(address, spec, trace, redriven, run) : run())
      .catch((err: unknown) => {
        // e.g. the store closed under a handler that ignored the abort: the next host re-drives it
        this.log.warn({ err, actor: addressKey(address), effect: spec.id }, 'effect outcome not recorded');
      })
      .finally(() => {
        this.running.delete(gid);
      });
  }

  private async execute(
    address: ActorAddress,
    effect: EffectSpec,
    session: string,
    signal: AbortSignal,
  ): Promise<void> {
    const key = addressKey(address);
    let outcome = this.outcomes?.recorded(key, effect.id);
    if (outcome) {
      this.reused++;
      otelTrace.getActiveSpan()?.setAttribute(ATTR.reused, true);
      this.log.debug({ actor: key, effect: effect.id }, 'effect outcome recorded earlier: published again');
    } else {
      if (this.outcomes && !this.outcomes.stillPending(key, effect.id)) return;
      const ran = await this.run(address, effect, session, signal);
      // Stopped while a handler that does not heed its signal ran on: its outcome is not recorded
      // (the stores may be closed); whoever hosts the actor next re-drives the effect.
      if (!ran || signal.aborted) {
        otelTrace.getActiveSpan()?.setAttribute(ATTR.outcome, 'aborted');
        return;
      }
      outcome = this.outcomes
        ? this.outcomes.record(key, effect.id, effect.kind, ran, this.clock.now())
        : ran;
      this.afterRecord?.(effect.kind);
    }
    if (!outcome.ok) markFailed(outcome.error);
    const id = effectCommandId(address, effect.id);
    await this.publisher.publishDurably(
      address,
      outcome.ok
        ? { id, type: 'effect.result', data: { effectId: effect.id, value: outcome.value } }
        : { id, type: 'effect.failed', data: { effectId: effect.id, error: outcome.error } },
    );
  }

  /** Runs the handler under the retry policy; undefined when aborted (the next host re-drives it). */
  private async run(
    address: ActorAddress,
    effect: EffectSpec,
    session: string,
    signal: AbortSignal,
  ): Promise<EffectOutcome | undefined> {
    const outcomes = this.outcomes;
    const checkpoint = outcomes
      ? (value: unknown) =>
          void outcomes.record(
            addressKey(address),
            effect.id,
            effect.kind,
            { ok: true, value: value ?? null },
            this.clock.now(),
          )
      : undefined;
    // Journal-first: an attempt after a recorded value does not run the effect again.
    const handler: EffectHandler = (inv) => {
      const earlier = inv.attempt > 1 ? outcomes?.recorded(addressKey(address), effect.id) : undefined;
      return earlier?.ok ? Promise.resolve(earlier.value) : this.dispatch.run(inv);
    };
    let outcome: EffectOutcome;
    try {
      outcome = await runWithRetry(
        handler,
        { address, effect, session, signal, ...(checkpoint ? { checkpoint } : {}) },
        this.retry,
        this.clock,
        ({ attempt, error, delayMs, outage }) =>
          this.log.warn(
            {
              actor: addressKey(address),
              effect: effect.id,
              kind: effect.kind,
              attempt,
              delayMs,
              outage,
              err: error,
            },
            outage ? 'effect met a NATS outage: retrying' : 'effect attempt failed: retrying',
          ),
      );
    } catch (err) {
      // Aborted: the kernel is stopping or the effect was cancelled; whoever hosts the actor next re-drives it.
      this.log.debug({ err, effect: effect.id }, 'effect aborted');
      return undefined;
    }
    if (!outcome.ok) {
      this.counters.effectsFailed++;
      this.observer?.effectFailed(effect.kind);
      this.log.warn(
        { actor: addressKey(address), effect: effect.id, kind: effect.kind, error: outcome.error },
        'effect failed',
      );
    }
    return outcome;
  }

  private schedule(address: ActorAddress, effect: EffectSpec, trace?: string): void {
    const gid = `${addressKey(address)}/${effect.id}`;
    if (this.timers.has(gid) || this.stopper.signal.aborted) return;
    const fire = () => {
      this.timers.delete(gid);
      const id = effectCommandId(address, effect.id);
      const publish = () =>
        this.publisher.publishDurably(address, { id, type: 'timer.fired', data: { effectId: effect.id } });
      // traced: `timer.fired` is sent under the turn that set the timer
      void (trace && tracingOn() ? otelContext.with(deserializeTrace(trace), publish) : publish());
    };
    this.timers.set(gid, this.clock.setTimeout(fire, (effect.fireAt ?? 0) - this.clock.now()));
  }

  /** Cancels a timer or aborts a running effect. */
  cancel(address: ActorAddress, effectId: string): void {
    const gid = `${addressKey(address)}/${effectId}`;
    const t = this.timers.get(gid);
    if (t !== undefined) {
      this.clock.clearTimeout(t);
      this.timers.delete(gid);
    }
    this.running.get(gid)?.abort(new Error('cancelled'));
  }

  get inFlight(): number {
    return this.running.size;
  }

  get scheduledTimers(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopper.abort(new Error('kernel stopping'));
    for (const ac of this.running.values()) ac.abort(this.stopper.signal.reason);
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * Runs an effect inside its span: `effect <kind>`, a child of the turn that started it (the stored
 * `trace`; a root span when the effect has none, e.g. started before tracing was on).
 */
function effectSpan(
  address: ActorAddress,
  effect: EffectSpec,
  trace: string | undefined,
  redriven: boolean,
  run: () => Promise<void>,
): Promise<void> {
  return inSpan(
    `effect ${effect.kind}`,
    {
      parent: deserializeTrace(trace),
      attributes: {
        [ATTR.actor]: addressKey(address),
        [ATTR.actorKind]: address.kind,
        [ATTR.effectId]: effect.id,
        [ATTR.effectKind]: effect.kind,
        [ATTR.redriven]: redriven,
      },
    },
    run,
  );
}

/** Marks the running effect's span failed with the outcome's error (the effect ended `effect.failed`). */
function markFailed(error: { code: string; message: string; attempts: number }): void {
  const span = otelTrace.getActiveSpan();
  if (!span) return;
  span.setAttributes({ 'error.type': error.code, 'moe.effect.attempts': error.attempts });
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}
