/**
 * Typed effect specs: an effect's handler gets exactly its spec (the request the machine emitted
 * and the journal stores, plus the inputs the emitting kind declares), never the actor's context;
 * an effect with no handler, or one its actor's kind does not declare, is refused with
 * MOE_ERR_EFFECT_UNKNOWN; the committed demo journal still re-emits byte-for-byte the effects it
 * stored, and every one of them is declared by its kind. The type checks at the bottom are run
 * by `npm run typecheck`: a machine that emits an effect its kind's type does not allow fails it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import {
  defaultRegistry,
  defineActorKind,
  kernelActions,
  sessionMachine,
  type EffectRequest,
  type KernelEvent,
  type SpecOf,
} from '../../actors/index.js';
import {
  EffectDispatch,
  effectHandlers,
  MachineHost,
  runWithRetry,
  systemClock,
  type EffectInvocation,
  type InvocationOf,
} from '../../actors/kernel/index.js';
import {
  isMoeError,
  turnsOf,
  type ActorAddress,
  type AnyJournalEntry,
  type EffectSpec,
} from '../../schemas/index.js';
import { llmReply } from './agent.machineKit.js';

const registry = defaultRegistry();
const fixture = resolve(import.meta.dirname, '..', 'fixtures', 'demo-session-v1.jsonl');

const at = (kind: string, id = 'a1'): ActorAddress => ({ org: 'o', ws: 'w', kind, id });

const ev = (type: string, data: Record<string, unknown>, turn: number): KernelEvent => ({
  type,
  data,
  id: `c${turn}`,
  at: 1_000,
  turn,
  session: 's',
});

/** A dispatch whose handlers record what they were called with. */
function recording() {
  const calls: Array<{ kind: string; inv: EffectInvocation }> = [];
  const record =
    (kind: string) =>
    async (inv: EffectInvocation): Promise<unknown> => {
      calls.push({ kind, inv });
      return { ran: kind };
    };
  const dispatch = new EffectDispatch(
    effectHandlers({
      'llm.call': record('llm.call'),
      'tool.run': record('tool.run'),
      'actor.send': record('actor.send'),
    }),
    registry,
  );
  return { dispatch, calls };
}

/** Runs `request`, emitted by the actor at `address` whose context is `context`, as the scheduler does. */
async function run(
  dispatch: EffectDispatch,
  address: ActorAddress,
  request: EffectSpec,
  context: unknown,
): Promise<unknown> {
  const effect = dispatch.specOf(address, request, context);
  return dispatch.run({ address, effect, session: 's', attempt: 1, signal: new AbortController().signal });
}

describe('effect dispatch', () => {
  it("gives an agent's llm.call its request plus the conversation and script, and nothing else", async () => {
    const host = new MachineHost(registry.get('agent')!.machine);
    const script = [{ text: 'hello' }];
    const out = host.apply(host.initial(), ev('task.submit', { prompt: 'say hello', script }, 1));
    const { dispatch, calls } = recording();

    await expect(run(dispatch, at('agent'), out.effects[0]!, out.next.context)).resolves.toEqual({
      ran: 'llm.call',
    });

    expect(calls).toHaveLength(1);
    const { inv } = calls[0]!;
    expect(inv.effect).toStrictEqual({
      id: '1.0',
      kind: 'llm.call',
      profile: 'default',
      step: 0,
      messages: [{ role: 'user', content: 'say hello' }],
      script,
    });
    expect(Object.keys(inv).sort()).toEqual(['address', 'attempt', 'effect', 'session', 'signal']);
  });

  it("gives a tool.run its call and the task's project, and the workspace root's (no project) without one", async () => {
    const host = new MachineHost(registry.get('agent')!.machine);
    const call = { id: 'call-1', name: 'read_file', input: { path: 'a.txt' } };
    const specs: unknown[] = [];
    for (const project of ['p1', undefined]) {
      const submitted = host.apply(
        host.initial(),
        ev('task.submit', { prompt: 'read', ...(project ? { project } : {}) }, 1),
      );
      const acting = host.apply(
        submitted.next,
        ev('effect.result', { effectId: '1.0', value: llmReply('reading', [call]) }, 2),
      );
      const { dispatch, calls } = recording();
      await run(dispatch, at('agent'), acting.effects[0]!, acting.next.context);
      specs.push(calls[0]!.inv.effect);
    }
    const request = {
      id: '2.0',
      kind: 'tool.run',
      callId: 'call-1',
      name: 'read_file',
      input: { path: 'a.txt' },
    };
    expect(specs).toStrictEqual([{ ...request, project: 'p1' }, request]);
  });

  it("gives a coordinator's actor.send exactly the request it emitted", async () => {
    const host = new MachineHost(registry.get('coordinator')!.machine);
    const subtasks = [{ prompt: 'one' }, { prompt: 'two' }];
    const out = host.apply(host.initial(), ev('task.submit', { prompt: 'plan', subtasks }, 1));
    const sends = out.effects.filter((e) => e.kind === 'actor.send');
    expect(sends).toHaveLength(2);
    const { dispatch, calls } = recording();
    for (const send of sends) await run(dispatch, at('coordinator'), send, out.next.context);
    expect(calls.map((c) => c.inv.effect)).toStrictEqual(sends);
  });

  it('refuses an effect kind with no handler with a terminal MOE_ERR_EFFECT_UNKNOWN', async () => {
    const { dispatch, calls } = recording();
    const err: unknown = await run(dispatch, at('agent'), { id: '1.0', kind: 'mail.send' }, {}).catch(
      (e: unknown) => e,
    );
    expect(isMoeError(err) && { code: err.code, retryable: err.retryable }).toEqual({
      code: 'MOE_ERR_EFFECT_UNKNOWN',
      retryable: false,
    });
    expect(calls).toEqual([]);

    // under the kernel's retry policy: one attempt, then effect.failed with that code
    const outcome = await runWithRetry(
      dispatch.run,
      {
        address: at('agent'),
        effect: { id: '1.0', kind: 'mail.send' },
        session: 's',
        signal: new AbortController().signal,
      },
      { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
      systemClock,
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'MOE_ERR_EFFECT_UNKNOWN', attempts: 1 } });
  });

  it('refuses an effect its actor kind does not declare, even with a handler for it', async () => {
    const { dispatch, calls } = recording();
    const request = { id: '1.0', kind: 'llm.call', profile: 'default', step: 0 };
    const err: unknown = await run(dispatch, at('session'), request, {}).catch((e: unknown) => e);
    expect(isMoeError(err) && err.code).toBe('MOE_ERR_EFFECT_UNKNOWN');
    expect(calls).toEqual([]);
  });
});

describe('the effects of the committed demo journal', () => {
  const entries = readFileSync(fixture, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { rec: AnyJournalEntry }).rec);

  it('are re-emitted exactly as stored, declared by their kind, and dispatched with the declared inputs', async () => {
    const snapshots = new Map<string, AnyMachineSnapshot>();
    const hosts = new Map<string, MachineHost>();
    const { dispatch, calls } = recording();
    let checked = 0;
    for (const turn of entries.flatMap((e) => turnsOf(e))) {
      const kind = registry.get(turn.actor.kind)!;
      const host = hosts.get(kind.kind) ?? new MachineHost(kind.machine);
      hosts.set(kind.kind, host);
      const key = `${turn.actor.kind}.${turn.actor.id}`;
      const out = host.apply(snapshots.get(key) ?? host.initial(), {
        type: turn.cmd.type,
        data: turn.cmd.data ?? {},
        id: turn.cmd.id,
        at: turn.cmd.at,
        turn: turn.turn,
        session: turn.session,
      });
      snapshots.set(key, out.next);
      // the journaled shape of effects is unchanged: today's machines emit exactly what was stored,
      // plus one known addition: a session's end now also asks the backup actor for a backup
      // (issue 8 item 2), which journals written before it lack
      const added = (e: { kind: string; type?: string }) =>
        e.kind === 'actor.send' && e.type === 'backup.request';
      const today = out.effects.filter((e) => !added(e) || turn.effects.some((t) => added(t)));
      if (turn.cmd.type === 'session.close') expect(out.effects.filter(added), key).toHaveLength(1);
      expect(JSON.stringify(today), key).toBe(JSON.stringify(turn.effects));
      for (const effect of turn.effects) {
        expect(kind.effects, `${key} ${effect.kind}`).toContain(effect.kind);
        if (effect.kind === 'timer') continue; // the scheduler fires timers itself
        calls.length = 0;
        await run(dispatch, turn.actor, effect, out.next.context);
        const spec = calls[0]!.inv.effect;
        expect(spec, `${key} ${effect.id}`).toMatchObject(effect);
        const inputs = Object.keys(spec).filter((k) => !(k in effect));
        expect(inputs, `${key} ${effect.kind}`).toEqual(
          effect.kind === 'llm.call' ? ['messages', 'script'] : [],
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});

describe('effect types', () => {
  it('are the union machines emit, checked at compile time', () => {
    expectTypeOf<Parameters<typeof kernelActions.effect>[1]>().toEqualTypeOf<EffectRequest>();
    expectTypeOf<InvocationOf<'llm.call'>['effect']>().toEqualTypeOf<SpecOf<'llm.call'>>();
    expectTypeOf<SpecOf<'llm.call'>>().toHaveProperty('messages');
    expectTypeOf<SpecOf<'tool.run'>>().toHaveProperty('project');

    // @ts-expect-error an llm.call needs its step
    kernelActions.effect(null, { id: '1.0', kind: 'llm.call', profile: 'default' });
    // @ts-expect-error a kind no module declares
    kernelActions.effect(null, { id: '1.0', kind: 'mail.send' });
    // @ts-expect-error a session's context has no conversation to give an llm.call
    defineActorKind('x', sessionMachine, { 'llm.call': (c) => ({ messages: c.messages, script: null }) });
    // @ts-expect-error a handler is typed with its own kind's spec
    effectHandlers({ 'tool.run': async ({ effect }: InvocationOf<'llm.call'>) => effect.messages });

    expect(registry.get('agent')!.effects).toEqual(['llm.call', 'tool.run', 'actor.send']);
    expect(registry.get('coordinator')!.effects).toEqual(['llm.call', 'actor.send']);
    expect(registry.get('session')!.effects).toEqual(['timer', 'actor.send']);
    expect(registry.get('org')!.effects).toEqual([]);
  });
});
