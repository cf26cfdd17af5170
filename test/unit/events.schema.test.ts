/**
 * Every domain event has a schema, and the schemas say what the machines really emit: each machine
 * is walked through every event it can emit, and each emitted event validates against the schema of
 * its type and is listed for its kind. The decode step refuses unknown and invalid events, and the
 * committed journal fixture still decodes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { defaultRegistry } from '../../actors/index.js';
import { MachineHost } from '../../actors/kernel/index.js';
import {
  decodeEvent,
  EVENT_SCHEMAS,
  EVENTS_BY_KIND,
  UNHOSTED_EVENT_KINDS,
  EventDecodeError,
  findEvent,
  findLastEvent,
  knownEvents,
  ofType,
  turnsOf,
  validEvents,
  type DomainEvent,
  type JsonlLine,
} from '../../schemas/index.js';
import { llmReply, usage } from './agent.machineKit.js';

interface Cmd {
  type: string;
  data: Record<string, unknown>;
}
/** A command, or one built from what the earlier turns started (an effect id). */
type Step = Cmd | ((outs: Out[]) => Cmd);
interface Out {
  emits: DomainEvent[];
  effects: Array<{ id: string; kind: string }>;
}

const password = { alg: 'scrypt', N: 1024, r: 8, p: 1, salt: 's', hash: 'h' };
const cmd = (type: string, data: Record<string, unknown> = {}): Cmd => ({ type, data });
/** The id of the last `llm.call` effect started so far. */
const llmId = (outs: Out[]) =>
  outs
    .flatMap((o) => o.effects)
    .filter((e) => e.kind === 'llm.call')
    .at(-1)!.id;
const result = (value: unknown) => (outs: Out[]) => cmd('effect.result', { effectId: llmId(outs), value });
const shell = { id: 'call-1', name: 'shell', input: { command: 'ls' } };
const read = { id: 'call-2', name: 'read_file', input: { path: 'a' } };
const subtaskDone = (ref: string) =>
  cmd('subtask.completed', {
    ref,
    result: `done ${ref}`,
    steps: 1,
    provider: 'scripted',
    usage: usage(1, 1),
    costMicros: 0,
    priceMicros: 0,
  });

/** Command sequences per kind that, together, make the machine emit every event it can. */
const SCENARIOS: Record<string, Step[][]> = {
  session: [
    [
      cmd('session.open', { leaseMs: 400 }),
      cmd('session.submit', { task: 't1', submit: { prompt: 'in the lease' } }),
      cmd('session.renew', { leaseMs: 500 }),
      cmd('timer.fired', { effectId: '3.0' }),
      cmd('session.submit', { task: 't2', submit: { prompt: 'after it' } }),
      cmd('session.renew'),
      cmd('session.close', { reason: 'done' }),
    ],
  ],
  agent: [
    [
      cmd('task.submit', { prompt: 'tidy up', approvalRequired: ['shell'] }),
      result(llmReply('I will run', [shell, read])),
      cmd('task.deny', { callId: 'call-1', reason: 'no shell today' }),
      (outs) => {
        const tool = outs.at(-1)!.effects.find((e) => e.kind === 'tool.run')!;
        return cmd('effect.result', {
          effectId: tool.id,
          value: { callId: 'call-2', output: 'a', isError: false },
        });
      },
      result(llmReply('done')),
      cmd('agent.message', { text: 'and now?' }),
      result(llmReply('now this')),
    ],
    [
      cmd('task.submit', { prompt: 'p', parent: { kind: 'coordinator', id: 'c1', ref: 'e1' } }),
      cmd('task.cancel', { reason: 'changed my mind' }),
    ],
  ],
  coordinator: [
    [
      cmd('task.submit', {
        prompt: 'plan it',
        subtasks: [{ prompt: 'a' }, { prompt: 'b' }],
        aggregate: 'llm',
      }),
      cmd('escalation.notice', {
        escalation: 'e0123',
        actor: 'o.w.agent.c0-e1',
        code: 'MOE_ERR_UNKNOWN_COMMAND',
        reason: 'no.such.command',
        commandId: null,
        restarts: 0,
        at: 1_700_000_000_000,
      }),
      subtaskDone('e1'),
      subtaskDone('e2'),
      result(llmReply('aggregated')),
    ],
    [
      cmd('task.submit', { prompt: 'plan it', experts: ['x'] }),
      result(llmReply('no plan here')),
      cmd('subtask.failed', { ref: 'e1', code: 'MOE_ERR_X', reason: 'r' }),
    ],
  ],
  org: [[cmd('org.create', { name: 'Acme' }), cmd('workspace.add', { workspace: 'w1' })]],
  user: [
    [
      cmd('user.register', { email: 'a@b.c', name: 'A', password }),
      cmd('user.password.set', { password: { ...password, salt: 't' } }),
    ],
  ],
  membership: [
    [
      cmd('member.add', { user: 'u1', role: 'owner' }),
      cmd('member.add', { user: 'u2', role: 'member' }),
      cmd('member.role.set', { user: 'u2', role: 'admin' }),
      cmd('member.remove', { user: 'u2' }),
    ],
  ],
  team: [
    [
      cmd('team.create', { name: 'Core', createdBy: 'u1' }),
      cmd('team.member.add', { user: 'u2' }),
      cmd('team.member.remove', { user: 'u2' }),
      cmd('team.delete'),
    ],
  ],
  workspace: [
    [
      cmd('workspace.create', { name: 'Web', createdBy: 'u1' }),
      cmd('workspace.update', { description: 'new' }),
      cmd('workspace.delete'),
    ],
  ],
  project: [
    [
      cmd('project.create', { workspace: 'w1', name: 'P', createdBy: 'u1' }),
      cmd('project.update', { name: 'Q' }),
      cmd('project.grant', { user: 'u2' }),
      cmd('project.revoke', { user: 'u2' }),
      cmd('project.agents.set', { agents: [{ name: 'coder', approval: ['shell'] }] }),
      cmd('project.delete'),
    ],
  ],
  apikey: [
    [
      cmd('apikey.create', { name: 'ci', hash: 'a'.repeat(64), role: 'member', createdBy: 'u1' }),
      cmd('apikey.touch'),
      cmd('apikey.revoke'),
    ],
  ],
};

function walk(kind: string, steps: Step[]): DomainEvent[] {
  const host = new MachineHost(defaultRegistry().get(kind)!.machine);
  let snapshot: AnyMachineSnapshot = host.initial();
  const outs: Out[] = [];
  steps.forEach((step, i) => {
    const c = typeof step === 'function' ? step(outs) : step;
    const out = host.apply(snapshot, {
      ...c,
      id: `c${i}`,
      at: 1_700_000_000_000 + i,
      turn: i + 1,
      session: 's',
    });
    expect(out.accepted, `${kind} ${c.type}`).toBe(true);
    outs.push({ emits: out.emits, effects: out.effects });
    snapshot = out.next;
  });
  return outs.flatMap((o) => o.emits);
}

describe('domain event schemas', () => {
  it('cover every actor kind the kernel hosts', () => {
    const hosted = Object.keys(EVENTS_BY_KIND).filter((k) => !UNHOSTED_EVENT_KINDS.includes(k));
    expect(hosted.sort()).toEqual([...defaultRegistry().keys()].sort());
    for (const k of UNHOSTED_EVENT_KINDS) expect(defaultRegistry().has(k), k).toBe(false);
  });

  for (const [kind, scenarios] of Object.entries(SCENARIOS)) {
    it(`every event the ${kind} machine emits validates, and it emits every event listed for it`, () => {
      const emitted = scenarios.flatMap((s) => walk(kind, s));
      for (const e of emitted) {
        expect(() => decodeEvent(e), JSON.stringify(e)).not.toThrow();
        expect(Object.keys(EVENTS_BY_KIND[kind as keyof typeof EVENTS_BY_KIND]), kind).toContain(e.type);
      }
      expect(new Set(emitted.map((e) => e.type))).toEqual(
        new Set(Object.keys(EVENTS_BY_KIND[kind as keyof typeof EVENTS_BY_KIND])),
      );
    });
  }

  it('the kernel’s command.rejected has a schema', () => {
    const rejected = { type: 'command.rejected', command: 'task.approve', state: 'done', reason: 'no' };
    expect(decodeEvent(rejected)).toEqual(rejected);
    expect(Object.keys(EVENT_SCHEMAS)).toContain('command.rejected');
  });

  it('every event of the committed journal fixture decodes', () => {
    const path = resolve(import.meta.dirname, '..', 'fixtures', 'demo-session-v1.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    const events = lines.flatMap((l) => turnsOf((JSON.parse(l) as JsonlLine).rec).flatMap((t) => t.events));
    expect(events.length).toBeGreaterThan(20);
    expect(knownEvents(events)).toHaveLength(events.length);
  });
});

describe('decoding events', () => {
  const completed = {
    type: 'task.completed',
    result: 'ok',
    steps: 1,
    provider: 'scripted',
    usage: usage(1, 2),
  };

  it('refuses an unknown type, saying so', () => {
    const err = (() => {
      try {
        decodeEvent({ type: 'task.exploded' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EventDecodeError);
    expect(err).toMatchObject({ reason: 'unknown-type', path: '/type' });
  });

  it('refuses a known event with a missing, mistyped or extra field, naming the path', () => {
    const { result: _r, ...missing } = completed;
    expect(() => decodeEvent(missing)).toThrow(EventDecodeError);
    expect(() => decodeEvent({ ...completed, steps: 'two' })).toThrow(/event\.task\.completed at \/steps/);
    expect(() => decodeEvent({ ...completed, surprise: true })).toThrow(EventDecodeError);
    expect(() => decodeEvent('task.completed')).toThrow(EventDecodeError);
    expect(() => decodeEvent(null)).toThrow(EventDecodeError);
  });

  it('knownEvents leaves out types it does not know and throws on an invalid known event', () => {
    const newer = { type: 'task.teleported', to: 'mars' };
    expect(knownEvents([newer, completed])).toEqual([completed]);
    expect(() => knownEvents([{ ...completed, steps: -1.5 }])).toThrow(EventDecodeError);
  });

  it('validEvents leaves out invalid events too, reporting each', () => {
    const invalid: unknown[] = [];
    const out = validEvents([{ type: 'task.failed', code: 1 }, completed], (e) => invalid.push(e));
    expect(out).toEqual([completed]);
    expect(invalid).toHaveLength(1);
  });

  it('findEvent, findLastEvent and ofType narrow to the event asked for', () => {
    const events = [
      { type: 'session.opened', expiresAt: 1, user: null },
      { type: 'session.renewed', expiresAt: 2 },
      completed,
    ];
    const done = findEvent(events, 'task.completed');
    expect(done?.usage.outputTokens).toBe(2);
    expect(findLastEvent(events, 'session.opened', 'session.renewed')?.expiresAt).toBe(2);
    expect(
      knownEvents(events)
        .filter(ofType('session.opened'))
        .map((e) => e.user),
    ).toEqual([null]);
    expect(findEvent(events, 'task.failed')).toBeUndefined();
  });
});
