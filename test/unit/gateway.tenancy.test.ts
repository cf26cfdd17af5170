/** The tenancy machines are pure and keep their invariants; the projection is a fold over records. */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { membershipMachine, userMachine } from '../../actors/tenancy/index.js';
import { TENANCY_COMMANDS_BY_KIND } from '../../schemas/tenancy.js';

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
      'membership',
      'project',
      'team',
      'user',
      'workspace',
    ]);
  });
});
