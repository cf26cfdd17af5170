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
});
