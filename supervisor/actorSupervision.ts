/**
 * The supervisor acting on restart policies (restartPolicy.ts). How actors fail today: the kernel
 * dead-letters a command it can never apply (the machine threw, the turn cannot fit, a schema
 * violation, …) and the actor goes on from its last good state; the letter lands in MOE_DLQ
 * (`moe.dlq.<org>.<ws>`, with the command's subject, code, reason and payload). That letter is the
 * failure signal: the leading supervisor follows MOE_DLQ from its start-up on (an ordered consumer,
 * new letters only) and, per actor (`<org>.<ws>.<kind>.<id>` of the letter's subject), asks the
 * policy of its kind what to do:
 *
 * - `restart`: after the backoff, the failed command is delivered again under a new id
 *   (`<id>#r<n>`, so the kernel's dedupe does not drop it); a command that fails again comes back
 *   here as a new failure;
 * - `stop`: nothing more is tried; the letter stays (redrive it by hand). The actor is recorded as
 *   stopped in KV `moe_stopped_actors` (stoppedActorStore.ts): the workspace-nodes refuse its later
 *   commands (dead letters with MOE_ERR_ACTOR_STOPPED, which are not failures and are not counted
 *   here) until an operator restarts it from the console;
 * - `escalate`: as stop, with the target (`to`) in the stop record — every gateway follows the
 *   bucket and routes a `coordinator` or `org-admin` escalation once (gateway/escalationRouter.ts);
 *   and an `actor.escalated` event is published on `moe.ops.escalated.<org>.<ws>` (core NATS, for
 *   live listeners) and POSTed as JSON to `MOE_ESCALATION_WEBHOOK_URL` when set (the operators'
 *   alerting).
 *
 * Only the leader acts (two supervisors would restart twice). The restart history is in KV
 * (restartHistory.ts), not in the leader's memory: a new leader goes on counting where the old one
 * stopped. Letters of tenancy workspaces and subjects that name no actor are left alone.
 */
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { FOLLOWER_PULL, kernelErrors, publishCommand } from '../actors/kernel/index.js';
import {
  addressKey,
  parseActorSubject,
  STREAMS,
  TENANCY_WS,
  type ActorAddress,
  type CommandEnvelope,
} from '../schemas/index.js';
import type { SupervisorProcessMetrics } from './processMetrics.js';
import { memoryRestartHistory, type RestartHistoryStore } from './restartHistory.js';
import { memoryStoppedActors, type StoppedActorStore } from './stoppedActorStore.js';
import {
  decide,
  policyOf,
  type Decision,
  type EscalationTarget,
  type RestartPolicies,
} from './restartPolicy.js';

/** The event of an actor whose restarts are used up and whose policy escalates. */
export interface ActorEscalated {
  readonly type: 'actor.escalated';
  readonly actor: ActorAddress;
  readonly to: EscalationTarget;
  /** the failure that used the restarts up: its error code and reason */
  readonly code: string;
  readonly reason: string;
  /** the failed command's id */
  readonly commandId: string | null;
  readonly restarts: number;
  readonly at: number;
}

/** The subject escalations are published on (core NATS). */
export function escalationSubject(org: string, ws: string): string {
  return `moe.ops.escalated.${org}.${ws}`;
}

/** The id a restarted command is delivered under: `<original id>#r<n>` (a restarted one keeps its root). */
export function restartedId(id: string, restart: number): string {
  const root = id.replace(/#r\d+$/, '');
  return `${root}#r${restart}`;
}

export interface ActorSupervisionOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly policies: RestartPolicies;
  readonly isLeader: () => boolean;
  readonly now: () => number;
  readonly log: Logger;
  readonly metrics?: Pick<SupervisorProcessMetrics, 'policyDecisions' | 'alerts'>;
  /** POSTs each escalation here (default $MOE_ESCALATION_WEBHOOK_URL; unset: none) */
  readonly webhookUrl?: string;
  /** where the restart history is kept (supervisor: KV; default: this process's memory) */
  readonly history?: RestartHistoryStore;
  /** where stopped actors are recorded (supervisor: KV; default: this process's memory) */
  readonly stopped?: StoppedActorStore;
  /** who decided, in the stop records (the supervisor's id) */
  readonly decidedBy?: string;
}

/** The code of a command refused because its actor is stopped: not a new failure of the actor. */
const ACTOR_STOPPED = kernelErrors.ACTOR_STOPPED.spec.code;

interface Letter {
  readonly subject: string;
  readonly code: string;
  readonly reason: string;
  readonly payload: string;
}

/** The dead-lettered command, when its payload is one (null: not JSON, or no id). */
function commandOf(payload: string): CommandEnvelope | null {
  try {
    const v = JSON.parse(payload) as Partial<CommandEnvelope> | null;
    return v && typeof v.id === 'string' && typeof v.type === 'string' ? (v as CommandEnvelope) : null;
  } catch {
    return null;
  }
}

export class ActorSupervision {
  /** actor key → when it was restarted (epoch ms), pruned to each policy's window */
  private readonly restarts: RestartHistoryStore;
  private readonly stopped: StoppedActorStore;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopConsuming: (() => void) | undefined;
  private done: Promise<void> | undefined;
  /** what was decided, newest last (tests, the console) */
  readonly decisions: Array<{ actor: string; decision: Decision }> = [];

  constructor(private readonly o: ActorSupervisionOptions) {
    this.restarts = o.history ?? memoryRestartHistory();
    this.stopped = o.stopped ?? memoryStoppedActors();
  }

  async start(): Promise<void> {
    const consumer = await this.o.js.consumers.get(STREAMS.deadLetters, {
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume({ ...FOLLOWER_PULL });
    this.stopConsuming = () => void messages.stop();
    this.done = (async () => {
      for await (const m of messages) {
        let letter: Letter;
        try {
          letter = m.json<Letter>();
        } catch {
          continue;
        }
        await this.onLetter(letter).catch((err: unknown) =>
          this.o.log.error({ err, subject: letter.subject }, 'restart policy not applied'),
        );
      }
    })();
  }

  /** Applies the actor's policy to one dead letter. */
  async onLetter(letter: Letter): Promise<Decision | null> {
    if (!this.o.isLeader()) return null;
    const actor = typeof letter.subject === 'string' ? parseActorSubject(letter.subject) : null;
    if (!actor || actor.ws === TENANCY_WS || letter.code === ACTOR_STOPPED) return null;
    const key = addressKey(actor);
    const policy = policyOf(this.o.policies, actor.kind);
    const now = this.o.now();
    const history = (await this.restarts.get(key)).filter((t) => now - t < policy.windowMs);
    const decision = decide(policy, history, now);
    this.decisions.push({ actor: key, decision });
    this.o.metrics?.policyDecisions.inc({ kind: actor.kind, action: decision.action });
    const command = commandOf(letter.payload);
    if (decision.action === 'restart' && command) {
      history.push(now);
      await this.restarts.set(key, history);
      const again: CommandEnvelope = { ...command, id: restartedId(command.id, decision.restart) };
      this.o.log.warn(
        { actor: key, code: letter.code, restart: decision.restart, delayMs: decision.delayMs },
        'restarting a failed actor: its command is delivered again after the backoff',
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void publishCommand(this.o.js, actor, again).catch((err: unknown) =>
          this.o.log.error({ err, actor: key }, 'restart not delivered'),
        );
      }, decision.delayMs);
      timer.unref();
      this.timers.add(timer);
      return decision;
    }
    await this.restarts.delete(key);
    if (decision.action === 'restart') {
      // nothing to deliver again (the payload was not a command): as stop
      this.o.log.warn(
        { actor: key, code: letter.code },
        'failed actor not restarted: no command in the letter',
      );
      return decision;
    }
    await this.stopped.put(key, {
      code: letter.code,
      reason: letter.reason,
      commandId: command?.id ?? null,
      restarts: decision.restarts,
      at: now,
      decidedBy: this.o.decidedBy ?? 'supervisor',
      action: decision.action,
      // the gateways route an escalation by it (gateway/escalationRouter.ts)
      ...(decision.action === 'escalate' ? { to: decision.to } : {}),
    });
    if (decision.action === 'stop') {
      this.o.log.warn(
        { actor: key, code: letter.code, restarts: decision.restarts },
        'restarts used up: actor stopped',
      );
      return decision;
    }
    await this.escalate({
      type: 'actor.escalated',
      actor,
      to: decision.to,
      code: letter.code,
      reason: letter.reason,
      commandId: command?.id ?? null,
      restarts: decision.restarts,
      at: now,
    });
    return decision;
  }

  private async escalate(event: ActorEscalated): Promise<void> {
    const key = addressKey(event.actor);
    this.o.log.error({ actor: key, to: event.to, code: event.code }, 'restarts used up: escalated');
    this.o.nc.publish(escalationSubject(event.actor.org, event.actor.ws), JSON.stringify(event));
    const url = this.o.webhookUrl ?? process.env.MOE_ESCALATION_WEBHOOK_URL?.trim();
    if (!url) return;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
      this.o.metrics?.alerts.inc({ outcome: 'ok' });
    } catch (err) {
      this.o.metrics?.alerts.inc({ outcome: 'failed' });
      this.o.log.error({ err, actor: key }, 'escalation alert not delivered');
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopConsuming?.();
    await this.done?.catch(() => undefined);
  }
}
