/** The wire contract: subject grammar and the validating codec's errors. */
import { describe, expect, it } from 'vitest';
import {
  codec,
  commandMsgId,
  CommandEnvelope,
  commandSubject,
  eventSubject,
  isToken,
  parseActorSubject,
  SchemaError,
  TaskSubmit,
} from '../../schemas/index.js';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('subjects', () => {
  it('builds and parses actor subjects symmetrically', () => {
    const a = { org: 'acme', ws: 'w-1', kind: 'agent', id: 't_9' };
    expect(commandSubject(a)).toBe('moe.cmd.acme.w-1.agent.t_9');
    expect(parseActorSubject(commandSubject(a))).toEqual(a);
    expect(parseActorSubject(eventSubject(a))).toEqual(a);
  });

  it('rejects subjects with wrong prefixes, token counts or characters', () => {
    expect(parseActorSubject('moe.cmd.acme.w.agent')).toBeNull();
    expect(parseActorSubject('moe.xyz.acme.w.agent.t')).toBeNull();
    expect(parseActorSubject('moe.cmd.acme.w.agent.t.extra')).toBeNull();
    expect(parseActorSubject('moe.cmd.ac*me.w.agent.t')).toBeNull();
    expect(isToken('')).toBe(false);
    expect(isToken('a'.repeat(65))).toBe(false);
  });

  it('scopes message ids by actor so equal command ids of different actors never collide', () => {
    const a = { org: 'o', ws: 'w', kind: 'org', id: 'a' };
    const b = { org: 'o', ws: 'w', kind: 'org', id: 'b' };
    expect(commandMsgId(a, 'open')).not.toBe(commandMsgId(b, 'open'));
  });
});

describe('codec', () => {
  const envelope = codec(CommandEnvelope, 'CommandEnvelope');

  it('decodes a valid envelope', () => {
    expect(envelope.decode(enc({ id: 'c1', type: 'task.submit', data: { prompt: 'x' } }))).toEqual({
      id: 'c1',
      type: 'task.submit',
      data: { prompt: 'x' },
    });
  });

  it('names the JSON path of the first violation', () => {
    try {
      envelope.decode(enc({ id: 'c1', type: 'Bad Type' }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaError);
      expect((err as SchemaError).path).toBe('/type');
      expect((err as SchemaError).message).toContain('CommandEnvelope at /type');
    }
  });

  it('reports invalid JSON as a schema error, not a crash', () => {
    expect(() => envelope.decode(enc('{oops'))).toThrow(/not valid JSON/);
  });

  it('rejects unknown envelope fields and oversized prompts', () => {
    expect(() => envelope.decode(enc({ id: 'c', type: 'x', extra: 1 }))).toThrow(SchemaError);
    expect(() => codec(TaskSubmit).check({ prompt: 'x'.repeat(100_001) })).toThrow(/\/prompt/);
  });
});
