/**
 * MachineHost drives machines through XState internals (a reused actor scope passed to
 * `machine.transition`, see actors/kernel/machineHost.ts), and xstate is pinned to the version it
 * was checked against. This test is the check: every machine in the registry is driven with
 * representative command sequences both through MachineHost and through xstate's public
 * `initialTransition()` / `transition()`, and the state values, contexts, persisted snapshots and
 * the effects, emitted events and cancellations must be the same at every turn. An XState upgrade
 * that breaks the shortcut fails here.
 *
 * Sequences: the committed demo run (test/fixtures/demo-session-v1.jsonl: session, coordinator,
 * two agents) plus hand-written ones per kind, taken from the machines' unit tests.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { defaultRegistry, type KernelEvent } from '../../actors/index.js';
import { MachineHost, statusOf } from '../../actors/kernel/index.js';
import { llmReply } from './agent.machineKit.js';

interface Command {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly id?: string;
  readonly at?: number;
}

const KERNEL_ACTIONS = ['effect', 'emit', 'cancel'] as const;

const password = { alg: 'scrypt', N: 1024, r: 8, p: 1, salt: 's', hash: 'h' };
const shell = { id: 'call-1', name: 'shell', input: { command: 'ls' } };
const read = { id: 'call-2', name: 'read_file', input: { path: 'a' } };
const failed = (effectId: string) => ({
  type: 'effect.failed',
  data: { effectId, error: { code: 'MOE_ERR_EFFECT_FAILED', message: 'no', attempts: 3 } },
});

const notice = (escalation: string) => ({
  escalation,
  actor: 'o.w.agent.c1-e1',
  code: 'MOE_ERR_UNKNOWN_COMMAND',
  reason: 'no.such.command',
  commandId: 'x#r1',
  restarts: 1,
  at: 1_700_000_000_000,
});

/** Hand-written sequences per kind: accepted and refused commands, effects, timers, cancels. */
const HAND_WRITTEN: Record<string, Command[][]> = {
  billing: [
    [
      { type: 'billing.start', data: {} },
      { type: 'billing.configure', data: { timeZone: 'Europe/Paris', graceMs: 0 } },
      { type: 'billing.plan', data: { plan: 'team' } },
      { type: 'billing.adjust', data: { amountMicros: -500, reason: 'goodwill' } },
      { type: 'invoice.issue', data: { label: '2023-10' } },
      { type: 'effect.result', data: { effectId: '5.0', value: { id: 'inv-o.w-2023-10', lines: [] } } },
      { type: 'effect.result', data: { effectId: '6.2', value: { status: 'not_sent' } } },
      { type: 'invoice.payment', data: { invoiceId: 'inv-o.w-2023-10', status: 'paid', externalId: 'in_1' } },
      { type: 'timer.fired', data: { effectId: '2.1' } }, // early: re-armed
      { type: 'invoice.issue', data: { label: '2030-01' } }, // open: refused
      { type: 'timer.fired', data: { effectId: '9.1' }, at: 1_702_000_000_000 }, // due: issues November
      failed('11.0'),
      { type: 'invoice.issue', data: { label: '2023-13' } }, // no such period: refused
      { type: 'invoice.payment', data: { invoiceId: 'inv-unknown', status: 'paid' } }, // not accepted
    ],
  ],
  backup: [
    [
      { type: 'backup.request', data: { reason: 'manual' } },
      { type: 'backup.request', data: { reason: 'session-end' } }, // coalesced
      {
        type: 'effect.result',
        data: {
          effectId: '1.0',
          value: {
            skipped: false,
            activitySeq: 4,
            backupId: 'b1',
            journalSeq: 5,
            objects: 2,
            bytes: 9,
            uploaded: 2,
          },
        },
      },
      { type: 'effect.result', data: { effectId: '3.0', value: { ok: true } } },
      { type: 'effect.result', data: { effectId: '4.0', value: { skipped: true, activitySeq: 4 } } },
      { type: 'timer.fired', data: { effectId: '1.1' } },
      failed('6.0'),
      { type: 'backup.schedule', data: { intervalMs: 60_000 } },
      { type: 'backup.schedule', data: { enabled: false } },
      { type: 'timer.fired', data: { effectId: '8.0' } }, // cancelled: ignored
    ],
  ],
  session: [
    [
      { type: 'session.open', data: { leaseMs: 400 } },
      { type: 'session.renew', data: { leaseMs: 60_000 } },
      { type: 'timer.fired', data: { effectId: '1.0' } }, // stale: ignored
      { type: 'timer.fired', data: { effectId: '2.0' } },
      { type: 'session.renew', data: {} },
      { type: 'session.close', data: { reason: 'done' } },
      { type: 'session.renew', data: {} }, // closed is final
    ],
    [
      { type: 'session.submit', data: { task: 't0', submit: { prompt: 'early' } } }, // not open yet
      { type: 'session.open', data: { leaseMs: 5 } },
      { type: 'session.submit', data: { task: 't1', submit: { prompt: 'in time' } } },
      { type: 'session.submit', data: { task: 't2', submit: { prompt: 'late' } }, at: 1_800_000_000_000 },
      { type: 'session.submit', data: { task: 't3', submit: { prompt: 'still late' } } },
      { type: 'timer.fired', data: { effectId: '2.0' } }, // cancelled at expiry: ignored
      { type: 'session.renew', data: {} },
      { type: 'session.submit', data: { task: 't4', submit: { prompt: 'renewed' } } },
      { type: 'session.close', data: {} },
      { type: 'session.submit', data: { task: 't5', submit: { prompt: 'closed' } } },
    ],
  ],
  agent: [
    [
      { type: 'task.submit', data: { prompt: 'tidy up', approvalRequired: ['shell'] } },
      { type: 'effect.result', data: { effectId: '1.0', value: llmReply('I will run', [shell, read]) } },
      { type: 'task.approve', data: { callId: 'nope' } },
      { type: 'task.deny', data: { callId: 'call-1', reason: 'no shell today' } },
      { type: 'effect.result', data: { effectId: '9.9', value: 'not awaited' } },
      { type: 'effect.result', data: { effectId: '4.0', value: 'a.txt' } },
      { type: 'effect.result', data: { effectId: '6.0', value: llmReply('done') } },
    ],
    [
      { type: 'task.submit', data: { prompt: 'p' } },
      {
        type: 'effect.result',
        data: { effectId: '1.0', value: llmReply('t', [read], { approval: ['read_file'] }) },
      },
      { type: 'task.approve', data: {} },
      { type: 'task.cancel', data: {} },
    ],
    [{ type: 'task.submit', data: { prompt: 'p' } }, failed('1.0'), { type: 'task.approve', data: {} }],
    [
      { type: 'agent.message', data: { text: 'before any task' } }, // refused in idle
      { type: 'task.submit', data: { prompt: 'p', parent: { kind: 'coordinator', id: 'c1', ref: 'e1' } } },
      { type: 'agent.message', data: { text: 'queued', script: [{ text: 'q' }] } },
      { type: 'effect.result', data: { effectId: '2.0', value: llmReply('first answer') } },
      { type: 'effect.result', data: { effectId: '4.1', value: llmReply('second answer') } },
      { type: 'agent.message', data: { text: 'a follow-up to a finished agent' } },
      { type: 'effect.result', data: { effectId: '6.0', value: llmReply('third answer') } },
    ],
  ],
  coordinator: [
    [{ type: 'task.submit', data: { prompt: 'plan it' } }, failed('1.0'), { type: 'task.cancel', data: {} }],
    [
      { type: 'task.submit', data: { prompt: 'plan it' } },
      { type: 'task.cancel', data: {} },
      { type: 'subtask.failed', data: { ref: 'x', code: 'MOE_ERR_X', reason: 'r' } },
    ],
    [
      { type: 'escalation.notice', data: notice('e0') }, // idle: kept too
      { type: 'task.submit', data: { prompt: 'p', subtasks: [{ prompt: 'a' }], aggregate: 'concat' } },
      { type: 'escalation.notice', data: notice('e1') },
      { type: 'task.cancel', data: {} },
      { type: 'escalation.notice', data: notice('e2') }, // cancelled is final
    ],
  ],
  board: [
    [
      { type: 'card.add', data: { card: 'c0', lane: 'todo', title: 'early' } },
      {
        type: 'board.create',
        data: {
          board: 'b1',
          project: 'p1',
          name: 'Main',
          lanes: [
            { id: 'todo', name: 'To do' },
            { id: 'doing', name: 'Doing', wipLimit: 1 },
          ],
        },
      },
      { type: 'card.add', data: { card: 'c1', lane: 'todo', title: 'one' } },
      { type: 'card.add', data: { card: 'c2', lane: 'todo', position: 0, title: 'two' } },
      {
        type: 'card.add',
        data: { card: 'c3', lane: 'nope', title: 'refused', createdBy: { card: 'c9', workflow: 1 } },
      },
      { type: 'card.move', data: { card: 'c1', lane: 'doing' } },
      { type: 'card.move', data: { card: 'c2', lane: 'doing', byCard: true } },
      { type: 'card.remove', data: { card: 'c1' } },
      { type: 'card.remove', data: { card: 'c1' } },
      { type: 'board.update', data: { lanes: [{ id: 'todo', name: 'To do' }] } }, // c2 is in doing
      {
        type: 'board.update',
        data: {
          name: 'Renamed',
          lanes: [
            { id: 'doing', name: 'Doing' },
            { id: 'done', name: 'Done' },
          ],
        },
      },
      {
        type: 'board.update',
        data: {
          lanes: [
            { id: 'x', name: 'x' },
            { id: 'x', name: 'y' },
          ],
        },
      },
      { type: 'board.delete', data: {} },
      { type: 'card.add', data: { card: 'c3', lane: 'doing', title: 'after the end' } },
    ],
  ],
  card: [
    [
      { type: 'card.update', data: { title: 'too early' } },
      {
        type: 'card.placed',
        data: {
          card: 'c1',
          board: 'b1',
          project: 'p1',
          lane: 'plan',
          position: 0,
          seq: 1,
          title: 'Launch',
          config: {
            workflows: {
              plan: { autoTrigger: 'a', sequence: ['a', 'b'], exitLane: 'review', cardsTo: 'todo' },
              review: { autoTrigger: 'r', exitCriteria: 'approved', exitLane: 'done' },
              build: { manualTrigger: ['x', 'y'], parallel: true },
            },
            agents: [],
          },
        },
      },
      { type: 'card.create', data: { card: 'c2', title: 'Feature', by: 'c1-w1s0a0' } },
      { type: 'card.create', data: { card: 'c3', title: 'Stranger', by: 'c9-w1s0a0' } },
      {
        type: 'card.spawn.refused',
        data: { card: 'c2', lane: 'todo', workflow: 1, code: 'MOE_ERR_WIP_LIMIT', reason: 'full' },
      },
      {
        type: 'subtask.completed',
        data: {
          ref: 'w1s0a0',
          result: 'A',
          steps: 1,
          provider: 'scripted',
          usage: llmReply('x').usage,
          costMicros: 1,
          priceMicros: 5,
        },
      },
      { type: 'card.update', data: { description: 'more' } },
      {
        type: 'subtask.completed',
        data: {
          ref: 'w1s1a0',
          result: 'B',
          steps: 1,
          provider: 'scripted',
          usage: llmReply('x').usage,
          costMicros: 1,
          priceMicros: 5,
        },
      },
      {
        type: 'card.placed',
        data: { card: 'c1', board: 'b1', project: 'p1', lane: 'review', position: 0, seq: 2 },
      },
      {
        type: 'card.placed',
        data: { card: 'c1', board: 'b1', project: 'p1', lane: 'plan', position: 0, seq: 2 },
      },
      {
        type: 'subtask.completed',
        data: {
          ref: 'w2s0a0',
          result: 'R',
          steps: 1,
          provider: 'scripted',
          usage: llmReply('x').usage,
          costMicros: 1,
          priceMicros: 5,
        },
      },
      { type: 'card.deny', data: { reason: 'no' } },
      {
        type: 'card.placed',
        data: { card: 'c1', board: 'b1', project: 'p1', lane: 'build', position: 0, seq: 3 },
      },
      { type: 'agent.run', data: { agent: 'x' } },
      { type: 'subtask.failed', data: { ref: 'w3s0a1', code: 'MOE_ERR_X', reason: 'r' } },
      { type: 'card.refused', data: { lane: 'done', code: 'MOE_ERR_WIP_LIMIT', reason: 'full' } },
      { type: 'card.approve', data: {} },
      { type: 'card.delete', data: {} },
    ],
  ],
  audit: [
    [
      { type: 'audit.record', data: { action: 'redrive', target: 'dlq/1', by: 'u1', role: 'admin' } },
      {
        type: 'audit.record',
        data: { action: 'approve', target: 'task/t1', by: 'operator', role: 'operator', detail: 'ok' },
      },
      // another kind's command: no transition, refused
      { type: 'org.create', data: { name: 'x' } },
    ],
  ],
  org: [
    [
      { type: 'workspace.add', data: { workspace: 'early' } },
      { type: 'org.create', data: { name: 'Acme' } },
      { type: 'workspace.add', data: { workspace: 'w1' } },
      { type: 'workspace.add', data: { workspace: 'w1' } },
      { type: 'org.create', data: { name: 'Again' } },
    ],
  ],
  user: [
    [
      { type: 'user.password.set', data: { password } },
      { type: 'user.register', data: { email: 'a@b.c', name: 'A', password } },
      { type: 'user.register', data: { email: 'a@b.c', name: 'B', password } },
      { type: 'user.password.set', data: { password: { ...password, salt: 't' } } },
    ],
  ],
  membership: [
    [
      { type: 'member.add', data: { user: 'u1', role: 'owner' } },
      { type: 'member.role.set', data: { user: 'u1', role: 'admin' } },
      { type: 'member.remove', data: { user: 'u1' } },
      { type: 'member.add', data: { user: 'u2', role: 'owner' } },
      { type: 'member.role.set', data: { user: 'u1', role: 'viewer' } },
      { type: 'member.remove', data: { user: 'u1' } },
    ],
  ],
  team: [
    [
      { type: 'team.member.add', data: { user: 'u1' } },
      { type: 'team.create', data: { name: 'Core', createdBy: 'u1' } },
      { type: 'team.member.add', data: { user: 'u2' } },
      { type: 'team.member.add', data: { user: 'u2' } },
      { type: 'team.member.remove', data: { user: 'u2' } },
      { type: 'team.delete', data: {} },
      { type: 'team.member.add', data: { user: 'u3' } },
    ],
  ],
  workspace: [
    [
      { type: 'workspace.update', data: { name: 'early' } },
      { type: 'workspace.create', data: { name: 'Web', description: 'd', createdBy: 'u1' } },
      { type: 'workspace.update', data: { description: 'new' } },
      { type: 'workspace.delete', data: {} },
      { type: 'workspace.update', data: { name: 'late' } },
    ],
  ],
  project: [
    [
      { type: 'project.create', data: { workspace: 'w1', name: 'P', createdBy: 'u1' } },
      { type: 'project.update', data: { name: 'Q', description: 'd' } },
      { type: 'project.grant', data: { user: 'u2' } },
      { type: 'project.grant', data: { team: 't1' } },
      { type: 'project.revoke', data: { user: 'u2' } },
      { type: 'project.agents.set', data: { agents: [{ name: 'coder', maxSteps: 5, approval: ['shell'] }] } },
      { type: 'project.delete', data: {} },
      { type: 'project.update', data: { name: 'late' } },
    ],
  ],
  apikey: [
    [
      { type: 'apikey.touch', data: {} },
      {
        type: 'apikey.create',
        data: { name: 'ci', hash: 'a'.repeat(64), role: 'member', project: 'p1', createdBy: 'u1' },
      },
      { type: 'apikey.touch', data: {} },
      { type: 'apikey.revoke', data: {} },
      { type: 'apikey.touch', data: {} },
    ],
  ],
};

interface FixtureLine {
  rec: { actor: { kind: string; id: string }; cmd: Required<Command> };
}

/** The demo run's commands, one sequence per actor, grouped by kind. */
function fixtureSequences(): Record<string, Command[][]> {
  const path = resolve(import.meta.dirname, '..', 'fixtures', 'demo-session-v1.jsonl');
  const byActor = new Map<string, { kind: string; commands: Command[] }>();
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    const { rec } = JSON.parse(line) as FixtureLine;
    const key = `${rec.actor.kind}.${rec.actor.id}`;
    const actor = byActor.get(key) ?? { kind: rec.actor.kind, commands: [] };
    actor.commands.push(rec.cmd);
    byActor.set(key, actor);
  }
  const out: Record<string, Command[][]> = {};
  for (const { kind, commands } of byActor.values()) (out[kind] ??= []).push(commands);
  return out;
}

const fromFixture = fixtureSequences();
const registry = defaultRegistry();

function sequencesOf(kind: string): Command[][] {
  return [...(fromFixture[kind] ?? []), ...(HAND_WRITTEN[kind] ?? [])];
}

function event(c: Command, turn: number): KernelEvent {
  return {
    type: c.type,
    data: c.data,
    id: c.id ?? `c${turn}`,
    at: c.at ?? 1_700_000_000_000 + turn,
    turn,
    session: 's1',
  };
}

interface Step {
  value: unknown;
  context: unknown;
  persisted: unknown;
  status: string;
  accepted: boolean;
  effects: unknown[];
  emits: unknown[];
  cancels: string[];
}

function seen(
  snapshot: AnyMachineSnapshot,
  machine: AnyStateMachine,
): Omit<Step, 'accepted' | 'effects' | 'emits' | 'cancels'> {
  return {
    value: snapshot.value,
    context: snapshot.context,
    persisted: machine.getPersistedSnapshot(snapshot),
    status: statusOf(snapshot),
  };
}

/** Through xstate's public API, the way its documentation says to use a machine as a pure function. */
function viaPublicApi(
  machine: AnyStateMachine,
  commands: Command[],
): { initialActions: string[]; steps: Step[] } {
  const [initial, initialActions] = initialTransition(machine);
  let snapshot = initial;
  const steps = commands.map((c, i) => {
    const [next, actions] = transition(machine, snapshot, event(c, i + 1));
    const params = (type: string) => actions.filter((a) => a.type === type).map((a) => a.params);
    const step: Step = {
      ...seen(next, machine),
      accepted: next !== snapshot,
      effects: params('effect'),
      emits: params('emit'),
      cancels: params('cancel').map((p) => (p as unknown as { effectId: string }).effectId),
    };
    snapshot = next;
    return step;
  });
  return { initialActions: initialActions.map((a) => a.type), steps };
}

/** Through MachineHost, as the kernel does; with `restoreEachTurn`, as after a passivation per turn. */
function viaMachineHost(machine: AnyStateMachine, commands: Command[], restoreEachTurn: boolean): Step[] {
  const host = new MachineHost(machine);
  let snapshot = host.initial();
  return commands.map((c, i) => {
    if (restoreEachTurn) snapshot = host.restore(host.persist(snapshot));
    const out = host.apply(snapshot, event(c, i + 1));
    snapshot = out.next;
    return {
      ...seen(out.next, machine),
      accepted: out.accepted,
      effects: out.effects,
      emits: out.emits,
      cancels: out.cancels,
    };
  });
}

describe('MachineHost against xstate transition()', () => {
  it('has command sequences for every kind in the registry, covering every command type', () => {
    for (const [kind, { commands }] of registry) {
      const used = new Set(
        sequencesOf(kind)
          .flat()
          .map((c) => c.type),
      );
      const missing = Object.keys(commands).filter(
        (t) => !used.has(t) && !['timer.fired', 'effect.failed', 'effect.result'].includes(t),
      );
      expect(missing, kind).toEqual([]);
      expect(sequencesOf(kind).length, kind).toBeGreaterThan(0);
    }
  });

  it('starts every machine in the same state, with no kernel actions on entry', () => {
    for (const [kind, { machine }] of registry) {
      const [publicInitial, actions] = initialTransition(machine);
      const host = new MachineHost(machine);
      expect(seen(host.initial(), machine), kind).toEqual(seen(publicInitial, machine));
      expect(
        actions.map((a) => a.type).filter((t) => (KERNEL_ACTIONS as readonly string[]).includes(t)),
        kind,
      ).toEqual([]);
    }
  });

  for (const kind of registry.keys()) {
    it(`gives the same states, contexts and actions for every ${kind} sequence`, () => {
      const { machine } = registry.get(kind)!;
      for (const [n, commands] of sequencesOf(kind).entries()) {
        const expected = viaPublicApi(machine, commands).steps;
        expect(viaMachineHost(machine, commands, false), `${kind} #${n}`).toEqual(expected);
        expect(viaMachineHost(machine, commands, true), `${kind} #${n} restored`).toEqual(expected);
        // The sequences do something: at least one turn accepted and one kernel action.
        expect(
          expected.some((s) => s.accepted),
          `${kind} #${n}`,
        ).toBe(true);
      }
      const all = sequencesOf(kind).flatMap((cs) => viaPublicApi(machine, cs).steps);
      expect(
        all.some((s) => s.effects.length + s.emits.length + s.cancels.length > 0),
        kind,
      ).toBe(true);
      expect(
        all.some((s) => !s.accepted),
        `${kind}: a refused command`,
      ).toBe(true);
    });
  }
});
