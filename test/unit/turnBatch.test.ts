/**
 * Turns from a mailbox batch: one turn per new command, numbered on from the actor's last turn,
 * each from the snapshot the previous one left; applied and repeated commands make no turn; a
 * command the machine cannot accept makes a `command.rejected` turn; one it throws on makes none.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../actors/index.js';
import type { Mail } from '../../actors/kernel/actorCell.js';
import { MachineHost } from '../../actors/kernel/machineHost.js';
import { turnsFromBatch } from '../../actors/kernel/turnBatch.js';

const host = new MachineHost(defaultRegistry().get('org')!.machine);
const mail = (id: string, type: string, data?: Record<string, unknown>): Mail => ({
  cmd: { id, type, ...(data ? { data } : {}) },
  at: 7,
  msg: {} as JsMsg,
  settled: false,
});

describe('turnsFromBatch', () => {
  it('makes consecutive turns, skips applied and repeated commands, rejects what the state refuses', () => {
    const batch = turnsFromBatch(
      host,
      { snapshot: host.initial(), turn: 3, session: 's' },
      [
        mail('old', 'org.create', { name: 'x' }),
        mail('a', 'org.create', { name: 'A' }),
        mail('b', 'workspace.add', { workspace: 'w1' }),
        mail('a', 'org.create', { name: 'A' }),
        mail('c', 'org.create', { name: 'again' }),
      ],
      new Set(['old']),
    );
    expect(batch.turns.map((t) => [t.turn, t.cmd.id, t.state, t.events[0]?.type])).toEqual([
      [4, 'a', 'active', 'org.created'],
      [5, 'b', 'active', 'workspace.added'],
      [6, 'c', 'active', 'command.rejected'],
    ]);
    expect(batch.duplicates.map((m) => m.cmd.id)).toEqual(['old', 'a']);
    expect(batch.threw).toEqual([]);
    expect(batch.contexts).toHaveLength(3);
    expect((batch.snapshot.context as { workspaces: object }).workspaces).toHaveProperty('w1');
  });

  it('returns a command the machine throws on without a turn, and goes on', () => {
    const throwing = new MachineHost(defaultRegistry().get('org')!.machine);
    const original = throwing.apply.bind(throwing);
    throwing.apply = (snapshot, event) => {
      if (event.id === 'boom') throw new Error('machine bug');
      return original(snapshot, event);
    };
    const batch = turnsFromBatch(
      throwing,
      { snapshot: throwing.initial(), turn: 0, session: 's' },
      [mail('boom', 'org.create', { name: 'x' }), mail('ok', 'org.create', { name: 'y' })],
      new Set(),
    );
    expect(batch.threw.map((t) => [t.mail.cmd.id, (t.error as Error).message])).toEqual([
      ['boom', 'machine bug'],
    ]);
    expect(batch.turns.map((t) => [t.turn, t.cmd.id])).toEqual([[1, 'ok']]);
  });

  it('cuts a batch by bytes: the turns that would overflow the entry wait for the next one', () => {
    const agent = new MachineHost(defaultRegistry().get('agent')!.machine);
    const big = (id: string) => mail(id, 'effect.result', { effectId: `x.${id}`, value: 'q'.repeat(40_000) });
    const mails = Array.from({ length: 10 }, (_, i) => big(`r${i}`));
    const budget = { entryBytes: 100_000, overheadBytes: 200 };
    const first = turnsFromBatch(
      agent,
      { snapshot: agent.initial(), turn: 0, session: 's' },
      mails,
      new Set(),
      budget,
    );
    expect(first.turns.map((t) => t.cmd.id)).toEqual(['r0', 'r1']);
    expect(first.consumed).toBe(2);
    const entryBytes = budget.overheadBytes + first.turnJson.join(',').length;
    expect(entryBytes).toBeLessThanOrEqual(budget.entryBytes);
    expect(first.turnJson.map((j) => JSON.parse(j) as unknown)).toEqual(first.turns);
    // The rest goes on from where the first entry ended.
    const second = turnsFromBatch(
      agent,
      { snapshot: first.snapshot, turn: 2, session: 's' },
      mails.slice(first.consumed),
      new Set(['r0', 'r1']),
      budget,
    );
    expect(second.turns.map((t) => [t.turn, t.cmd.id])).toEqual([
      [3, 'r2'],
      [4, 'r3'],
    ]);
    // Without a budget everything goes in one entry.
    const unbounded = turnsFromBatch(
      agent,
      { snapshot: agent.initial(), turn: 0, session: 's' },
      mails,
      new Set(),
    );
    expect(unbounded.turns).toHaveLength(10);
    expect(unbounded.consumed).toBe(10);
  });

  it('applies an effect result too large for any entry as effect.failed, and refuses other oversize turns', () => {
    const agent = new MachineHost(defaultRegistry().get('agent')!.machine);
    const budget = { entryBytes: 50_000, overheadBytes: 200 };
    const batch = turnsFromBatch(
      agent,
      { snapshot: agent.initial(), turn: 0, session: 's' },
      [
        mail('huge-result', 'effect.result', { effectId: '1.0', value: 'q'.repeat(60_000) }),
        mail('huge-cancel', 'task.cancel', { reason: 'r'.repeat(60_000) }),
        mail('small', 'task.cancel', { reason: 'after' }),
      ],
      new Set(),
      budget,
    );
    expect(batch.turns.map((t) => [t.turn, t.cmd.id, t.cmd.type])).toEqual([
      [1, 'huge-result', 'effect.failed'],
      [2, 'small', 'task.cancel'],
    ]);
    expect(batch.turns[0]!.cmd.data).toMatchObject({
      effectId: '1.0',
      error: { code: 'MOE_ERR_RESULT_TOO_LARGE' },
    });
    expect(batch.substituted.map((s) => s.mail.cmd.id)).toEqual(['huge-result']);
    expect(batch.tooLarge.map((s) => s.mail.cmd.id)).toEqual(['huge-cancel']);
    expect(batch.consumed).toBe(3);
  });
});
