/**
 * The one disposition rule, as a table: what happened to a delivered command → ack, retry (nak
 * with its delay), dead-letter (with the code the letter carries), or wait for ack_wait.
 */
import { describe, expect, it } from 'vitest';
import {
  dispositionOf,
  HELD_NAK_MS,
  kernelErrors,
  RETRY_NAK_MS,
  UNSTORED_LETTER_NAK_MS,
  type CommandFate,
} from '../../actors/kernel/index.js';
import { MoeError, SchemaError } from '../../schemas/index.js';

// Codes of some other catalogue (not registered: this file must not add to docs/errors.md).
const other = {
  TERMINAL: (detail?: string) =>
    new MoeError({ code: 'MOE_ERR_TEST_TERMINAL', message: 'refused for good' }, detail),
  TRANSIENT: (detail?: string, options?: { retryAfterMs?: number }) =>
    new MoeError({ code: 'MOE_ERR_TEST_TRANSIENT', message: 'try later', retryable: true }, detail, options),
};
const schemaError = new SchemaError('org:org.create', '/name', 'Expected string');
const natsTimeout = Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' });

type Expected = 'ack' | 'wait' | { retry: number } | { deadLetter: string };

const table: [string, CommandFate, Expected][] = [
  ['applied', { step: 'applied' }, 'ack'],
  ['its dead letter is stored', { step: 'dead-lettered' }, 'ack'],
  ['held behind an earlier command', { step: 'held' }, { retry: HELD_NAK_MS }],
  [
    'its dead letter was not stored',
    { step: 'letter-unstored', error: natsTimeout },
    { retry: UNSTORED_LETTER_NAK_MS },
  ],
  ['its actor did not activate', { step: 'activation-failed', error: new Error('SQLITE_BUSY') }, 'wait'],
  // intake: the command's own bytes are wrong, which a retry never changes
  [
    'intake: bad subject',
    { step: 'intake', error: kernelErrors.BAD_SUBJECT('moe.cmd.a') },
    { deadLetter: 'MOE_ERR_BAD_SUBJECT' },
  ],
  [
    'intake: unknown kind',
    { step: 'intake', error: kernelErrors.UNKNOWN_KIND('x') },
    { deadLetter: 'MOE_ERR_UNKNOWN_KIND' },
  ],
  [
    'intake: unknown command',
    { step: 'intake', error: kernelErrors.UNKNOWN_COMMAND('x') },
    { deadLetter: 'MOE_ERR_UNKNOWN_COMMAND' },
  ],
  [
    'intake: tenancy kind elsewhere',
    { step: 'intake', error: kernelErrors.KIND_NOT_IN_WORKSPACE('org in w') },
    { deadLetter: 'MOE_ERR_KIND_NOT_IN_WORKSPACE' },
  ],
  [
    'intake: command too large',
    { step: 'intake', error: kernelErrors.COMMAND_TOO_LARGE('1 MB') },
    { deadLetter: 'MOE_ERR_COMMAND_TOO_LARGE' },
  ],
  ['intake: schema violation', { step: 'intake', error: schemaError }, { deadLetter: 'SchemaError' }],
  [
    'intake: bytes that are not JSON',
    { step: 'intake', error: new SyntaxError('Unexpected token') },
    { deadLetter: 'MOE_ERR_BAD_COMMAND' },
  ],
  [
    'intake: even a retryable error',
    { step: 'intake', error: other.TRANSIENT() },
    { deadLetter: 'MOE_ERR_TEST_TRANSIENT' },
  ],
  // turn: a MoeError's `retryable` decides; anything else is transient
  [
    'turn: the machine threw',
    { step: 'turn', error: kernelErrors.MACHINE_THREW('boom') },
    { deadLetter: 'MOE_ERR_MACHINE_THREW' },
  ],
  [
    'turn: too large for an entry',
    { step: 'turn', error: kernelErrors.TURN_TOO_LARGE('2 MB') },
    { deadLetter: 'MOE_ERR_TURN_TOO_LARGE' },
  ],
  [
    'turn: a terminal MoeError',
    { step: 'turn', error: other.TERMINAL() },
    { deadLetter: 'MOE_ERR_TEST_TERMINAL' },
  ],
  ['turn: fenced too often', { step: 'turn', error: kernelErrors.FENCED('a') }, { retry: RETRY_NAK_MS }],
  [
    'turn: local commit failed',
    { step: 'turn', error: kernelErrors.JOURNAL_UNAVAILABLE('disk') },
    { retry: RETRY_NAK_MS },
  ],
  [
    'turn: retry-after does not change the delay',
    { step: 'turn', error: other.TRANSIENT('x', { retryAfterMs: 60_000 }) },
    { retry: RETRY_NAK_MS },
  ],
  ['turn: a NATS timeout', { step: 'turn', error: natsTimeout }, { retry: RETRY_NAK_MS }],
  [
    'turn: a journal entry that did not decode',
    { step: 'turn', error: schemaError },
    { retry: RETRY_NAK_MS },
  ],
  ['turn: a thrown non-error', { step: 'turn', error: 'disconnected' }, { retry: RETRY_NAK_MS }],
];

describe('dispositionOf', () => {
  it.each(table)('%s', (_, fate, expected) => {
    const d = dispositionOf(fate);
    if (expected === 'ack' || expected === 'wait') expect(d).toEqual({ action: expected });
    else if ('retry' in expected) expect(d).toEqual({ action: 'retry', delayMs: expected.retry });
    else {
      expect(d.action).toBe('dead-letter');
      const error = d.action === 'dead-letter' ? d.error : undefined;
      expect(error instanceof SchemaError ? 'SchemaError' : error?.code).toBe(expected.deadLetter);
    }
  });

  it('keeps the error a command was refused with, and names undecodable bytes in BAD_COMMAND', () => {
    const refused = kernelErrors.UNKNOWN_KIND('x');
    expect(dispositionOf({ step: 'intake', error: refused })).toEqual({
      action: 'dead-letter',
      error: refused,
    });
    const d = dispositionOf({ step: 'intake', error: new SyntaxError('Unexpected token') });
    expect(d.action === 'dead-letter' && d.error.message).toBe(
      'command does not match its schema: SyntaxError: Unexpected token',
    );
  });
});
