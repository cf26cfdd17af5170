/** The tenancy machines are pure and keep their invariants; the projection is a fold over records. */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { orgMachine } from '../../actors/index.js';
import { membershipMachine, userMachine } from '../../actors/tenancy/index.js';
import { TenancyProjection } from '../../gateway/projection.js';
import type { DomainEvent, JournalRecord } from '../../schemas/index.js';
import { TENANCY_COMMANDS_BY_KIND, TENANCY_WS } from '../../schemas/tenancy.js';

function run(machine: AnyStateMachine, commands: { type: string; data: Record<string, unknown> }[]) {
  let [snap] = initialTransition(machine) as [AnyMachineSnapshot, unknown[]];
  const emitted: string[] = [];
  commands.forEach((c, i) => {
    const [next, actions] = transition(machine, snap, {
      ...c,
      id: `c${i}`,
      at: 1000 + i,
      turn: i + 1,
      session: 's',
    }) as [AnyMachineSnapshot, { type: string; params?: { type?: string } }[]];
    for (const a of actions) if (a.type === 'emit' && a.params?.type) emitted.push(a.params.type);
    snap = next;
  });
  return { snap, emitted };
}

describe('tenancy machines', () => {
  it('the org keeps at least one owner: demoting or removing the last owner changes nothing', () => {
    const { snap, emitted } = run(membershipMachine, [
      { type: 'member.add', data: { user: 'u1', role: 'owner' } },
      { type: 'member.role.set', data: { user: 'u1', role: 'admin' } },
      { type: 'member.remove', data: { user: 'u1' } },
      { type: 'member.add', data: { user: 'u2', role: 'owner' } },
      { type: 'member.role.set', data: { user: 'u1', role: 'viewer' } },
    ]);
    expect(emitted).toEqual(['member.added', 'member.added', 'member.role.changed']);
    expect((snap.context as { members: Record<string, string> }).members).toEqual({
      u1: 'viewer',
      u2: 'owner',
    });
  });

  it('a user registers once; a second registration of the same actor is not accepted', () => {
    const password = { alg: 'scrypt', N: 1024, r: 8, p: 1, salt: 's', hash: 'h' };
    const { emitted } = run(userMachine, [
      { type: 'user.register', data: { email: 'a@b.c', name: 'A', password } },
      { type: 'user.register', data: { email: 'a@b.c', name: 'B', password } },
    ]);
    expect(emitted).toEqual(['user.registered']);
  });

  it('every tenancy kind has command schemas', () => {
    expect(Object.keys(TENANCY_COMMANDS_BY_KIND).sort()).toEqual([
      'apikey',
      'audit',
      'membership',
      'project',
      'team',
      'user',
      'workspace',
    ]);
  });
});

describe('tenancy projection', () => {
  const silent = { warn: () => undefined } as unknown as FastifyBaseLogger;
  const projection = () => new TenancyProjection({} as JetStreamClient, silent);
  const record = (
    org: string,
    kind: string,
    at: number,
    events: JournalRecord['events'],
    cmd = 'c1',
  ): JournalRecord => ({
    actor: { org, ws: TENANCY_WS, kind, id: org },
    session: 'tenancy',
    turn: 1,
    cmd: { id: cmd, type: 'org.create', at },
    state: 'active',
    status: 'active',
    events,
    effects: [],
    cancels: [],
  });

  it('an org keeps the time it was created: org.created carries createdAt', () => {
    const [snap] = initialTransition(orgMachine);
    const [, actions] = transition(orgMachine, snap, {
      type: 'org.create',
      data: { name: 'Acme' },
      id: 'c1',
      at: 1_700_000_000_123,
      turn: 1,
      session: 's',
    });
    const emitted = actions.filter((a) => a.type === 'emit').map((a) => a.params as DomainEvent);
    expect(emitted).toEqual([{ type: 'org.created', name: 'Acme', createdAt: 1_700_000_000_123 }]);
    const p = projection();
    p.apply(record('acme', 'org', 1_700_000_000_999, emitted));
    expect(p.orgs.get('acme')).toMatchObject({ name: 'Acme', createdAt: 1_700_000_000_123 });
  });

  it('a tenancy actor met past its first turn makes the projection incomplete with MOE_ERR_JOURNAL_PURGED', () => {
    const lines: { code?: string }[] = [];
    const log = { warn: () => undefined, error: (o: { code?: string }) => void lines.push(o) };
    const p = new TenancyProjection({} as JetStreamClient, log as unknown as FastifyBaseLogger);
    p.apply(record('a', 'org', 1, [{ type: 'org.created', name: 'A' }]), 1);
    p.apply({ ...record('a', 'org', 2, [], 'c2'), turn: 2 }, 2);
    expect(p.incomplete).toBeNull();
    p.apply({ ...record('b', 'org', 3, [{ type: 'org.created', name: 'B' }], 'c3'), turn: 5 }, 9);
    expect(p.incomplete).toMatchObject({ code: 'MOE_ERR_JOURNAL_PURGED', turn: 5, seq: 9, after: null });
    expect(lines.map((l) => l.code)).toEqual(['MOE_ERR_JOURNAL_PURGED']);
  });

  it('an org.created journaled without createdAt takes the time of its org.create command', () => {
    const p = projection();
    p.apply(record('old', 'org', 1_600_000_000_000, [{ type: 'org.created', name: 'Old' }]));
    expect(p.orgs.get('old')).toMatchObject({ name: 'Old', createdAt: 1_600_000_000_000 });
  });

  it('an invalid event is skipped and the turn still answers its waiter', async () => {
    const p = projection();
    const waiting = p.waitFor('c2', 1_000);
    p.apply(record('bad', 'org', 1, [{ type: 'org.created', name: 42 }], 'c2'));
    await expect(waiting).resolves.toMatchObject({ cmd: { id: 'c2' } });
    expect(p.orgs.has('bad')).toBe(false);
  });

  it('an event is applied only from the kind that emits it', () => {
    const p = projection();
    p.apply(record('x', 'team', 1, [{ type: 'org.created', name: 'Forged' }]));
    expect(p.orgs.has('x')).toBe(false);
  });
});
