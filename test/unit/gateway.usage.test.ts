/** The usage projection is a pure fold over agent records; task data and idempotent ids are derived, not random. */
import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import type { JournalRecord } from '../../schemas/index.js';
import { creation } from '../../gateway/idempotency.js';
import { taskSubmitData } from '../../gateway/taskData.js';
import { UsageProjection } from '../../gateway/usageProjection.js';

const TASK = 'w0123456789abcdef-p0123456789abcdef-t0123456789abcdef';
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 1, cacheWriteTokens: 0 };
let turn = 0;

function rec(
  events: JournalRecord['events'],
  opts: { id?: string; cmd?: string; data?: Record<string, unknown>; status?: JournalRecord['status'] } = {},
): JournalRecord {
  turn += 1;
  return {
    actor: { org: 'o1', ws: 'w0123456789abcdef', kind: 'agent', id: opts.id ?? TASK },
    turn,
    session: '_workspace',
    cmd: {
      id: `c${turn}`,
      type: opts.cmd ?? 'effect.result',
      at: turn,
      ...(opts.data ? { data: opts.data } : {}),
    },
    state: 'thinking',
    status: opts.status ?? 'active',
    events,
    effects: [],
    cancels: [],
  };
}

const replied = (extra: Record<string, unknown> = {}) => ({
  type: 'agent.replied',
  step: 1,
  text: 'hi',
  tools: 0,
  provider: 'anthropic',
  model: 'claude-x',
  usage,
  ...extra,
});
const recorded = {
  type: 'usage.recorded',
  effectId: '1.0',
  step: 1,
  provider: 'anthropic',
  model: 'claude-x',
  usage,
  costMicros: 700,
  priceMicros: 1050,
};

describe('usage projection', () => {
  it('sums tokens, cost and price per project, agent, provider and model, counting each call once', () => {
    const u = new UsageProjection();
    u.apply(
      rec([{ type: 'task.accepted', prompt: 'x' }], {
        cmd: 'task.submit',
        data: { prompt: 'x', profile: 'coder' },
      }),
    );
    u.apply(rec([replied({ costMicros: 700, priceMicros: 1050 }), recorded]));
    u.apply(
      rec(
        [
          replied({ costMicros: 700, priceMicros: 1050 }),
          recorded,
          { type: 'task.completed', result: 'ok', steps: 2, provider: 'anthropic', usage },
        ],
        { status: 'done' },
      ),
    );
    const [row, ...rest] = u.rowsOf('o1');
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      project: 'p0123456789abcdef',
      agent: 'coder',
      provider: 'anthropic',
      model: 'claude-x',
      calls: 2,
      runs: 1,
      failed: 0,
      inputTokens: 20,
      outputTokens: 10,
      cacheReadTokens: 2,
      costMicros: 1400,
      priceMicros: 2100,
      unpricedCalls: 0,
    });
    expect(u.rowsOf('another-org')).toEqual([]);
  });

  it('records journaled before pricing existed count their tokens and report cost as null', () => {
    const u = new UsageProjection();
    const id = 'w0123456789abcdef-p0123456789abcdef-t00000000000000aa';
    u.apply(rec([{ type: 'task.accepted', prompt: 'x' }], { id, cmd: 'task.submit', data: { prompt: 'x' } }));
    u.apply(rec([replied(), { type: 'task.failed', code: 'x', reason: 'y' }], { id, status: 'error' }));
    const [row] = u.rowsOf('o1');
    expect(row).toMatchObject({ agent: 'default', calls: 1, runs: 1, failed: 1, inputTokens: 10 });
    expect(row?.costMicros).toBeNull();
    expect(row?.priceMicros).toBeNull();
    expect(row?.unpricedCalls).toBe(1);
  });

  it('only records journaled after start reach the live hook that feeds metrics', () => {
    const live: number[] = [];
    const u = new UsageProjection((r) => live.push(r.turn));
    (u as unknown as { liveAfter: number }).liveAfter = 10;
    u.apply(rec([recorded]), 9);
    const later = rec([recorded]);
    u.apply(later, 11);
    expect(live).toEqual([later.turn]);
  });
});

describe('usage projection over a purged journal', () => {
  const at = (r: JournalRecord, t: number): JournalRecord => ({ ...r, turn: t });
  const errorLines: unknown[] = [];
  const log = { error: (o: unknown) => void errorLines.push(o) } as never;
  const withLog = () => {
    const u = new UsageProjection();
    (u as unknown as { log: unknown }).log = log;
    return u;
  };
  const id = 'w0123456789abcdef-p0123456789abcdef-t00000000000000bb';
  const submit = () =>
    rec([{ type: 'task.accepted', prompt: 'x' }], { id, cmd: 'task.submit', data: { prompt: 'x' } });

  it('consecutive turns of each task leave it complete', () => {
    const u = withLog();
    u.apply(at(submit(), 1), 1);
    u.apply(at(rec([recorded], { id }), 2), 2);
    u.apply(
      at(
        rec([recorded, { type: 'task.completed', result: 'ok', steps: 1, provider: 'anthropic', usage }], {
          id,
          status: 'done',
        }),
        3,
      ),
      3,
    );
    expect(u.incomplete).toBeNull();
  });

  it('a task met past its first turn with usage to count makes it incomplete with MOE_ERR_JOURNAL_PURGED', () => {
    errorLines.length = 0;
    const u = withLog();
    u.apply(
      at(
        rec([recorded, { type: 'task.completed', result: 'ok', steps: 2, provider: 'anthropic', usage }], {
          id,
          status: 'done',
        }),
        4,
      ),
      40,
    );
    expect(u.incomplete).toMatchObject({ code: 'MOE_ERR_JOURNAL_PURGED', seq: 40, turn: 4, after: null });
    expect(errorLines).toEqual([
      expect.objectContaining({ code: 'MOE_ERR_JOURNAL_PURGED', projection: 'usage' }),
    ]);
  });

  it('a running task whose turn number skips makes it incomplete', () => {
    const u = withLog();
    u.apply(at(submit(), 1), 1);
    u.apply(at(rec([recorded], { id }), 3), 5);
    expect(u.incomplete).toMatchObject({ turn: 3, after: 1, seq: 5 });
  });

  it('a late turn of a task that finished before (a refused command) is not a gap', () => {
    const u = withLog();
    u.apply(
      at(
        rec([{ type: 'command.rejected', reason: 'not accepted in state done' }], {
          id,
          status: 'done',
          cmd: 'task.cancel',
        }),
        7,
      ),
      70,
    );
    expect(u.incomplete).toBeNull();
  });
});

describe('task submit data', () => {
  it('passes the project agent’s approval list and step budget through, and the body wins', () => {
    const data = taskSubmitData(
      { name: 'coder', maxSteps: 8, approval: ['shell'], systemPrompt: 'be careful' },
      { prompt: 'fix it', maxSteps: 3 },
    );
    expect(data).toMatchObject({
      profile: 'coder',
      maxSteps: 3,
      approvalRequired: ['shell'],
      prompt: 'fix it',
    });
    expect(data).not.toHaveProperty('approval');
    expect(data).not.toHaveProperty('name');
  });
});

describe('idempotency keys', () => {
  const req = (key: string | undefined, url = '/api/workspaces') =>
    ({
      headers: key === undefined ? {} : { 'idempotency-key': key },
      method: 'POST',
      routeOptions: { url },
      params: {},
      url,
    }) as unknown as FastifyRequest;
  const alice = { kind: 'user', userId: 'ualice', jti: 'j', exp: 0 } as const;
  const bob = { kind: 'user', userId: 'ubob', jti: 'j', exp: 0 } as const;

  it('the same key from the same caller derives the same ids; another caller or route derives others', () => {
    const a1 = creation(req('k-1'), alice);
    const a2 = creation(req('k-1'), alice);
    expect(a1.id('w')).toMatch(/^w[0-9a-f]{16}$/);
    expect(a1.id('w')).toBe(a2.id('w'));
    expect(a1.cmd(1)).toBe(a2.cmd(1));
    expect(a1.cmd(1)).not.toBe(a1.cmd(2));
    expect(creation(req('k-1'), bob).id('w')).not.toBe(a1.id('w'));
    expect(creation(req('k-1', '/api/orgs'), alice).id('w')).not.toBe(a1.id('w'));
    expect(creation(req(undefined), alice).keyed).toBe(false);
  });

  it('a key that is empty, too long or not printable ASCII is a 400 with its own code', () => {
    for (const bad of ['', 'x'.repeat(201), 'naïve'])
      expect(() => creation(req(bad), alice)).toThrow(
        expect.objectContaining({ code: 'MOE_ERR_IDEMPOTENCY_KEY' }),
      );
  });
});
