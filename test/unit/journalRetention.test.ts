/**
 * The journal retention settings (workspace-node/journalRetention.ts): MOE_JOURNAL_PURGE on by
 * default and turned off by `off`/0/false/no; MOE_JOURNAL_KEEP defaults to DEFAULT_JOURNAL_KEEP and
 * must be an integer ≥ 1; anything else is MOE_ERR_CONFIG at start-up.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOURNAL_KEEP, journalRetentionFromEnv } from '../../workspace-node/journalRetention.js';

describe('journal retention settings', () => {
  it('purges by default, keeping the default tail', () => {
    expect(journalRetentionFromEnv({})).toEqual({ purge: true, keep: DEFAULT_JOURNAL_KEEP });
    expect(journalRetentionFromEnv({ MOE_JOURNAL_PURGE: 'on', MOE_JOURNAL_KEEP: '5' })).toEqual({
      purge: true,
      keep: 5,
    });
  });

  it('is turned off by off, 0, false or no', () => {
    for (const v of ['off', '0', 'false', 'NO'])
      expect(journalRetentionFromEnv({ MOE_JOURNAL_PURGE: v }).purge, v).toBe(false);
  });

  it('refuses a keep below 1, a fraction, or an unknown switch with MOE_ERR_CONFIG', () => {
    for (const env of [
      { MOE_JOURNAL_KEEP: '0' },
      { MOE_JOURNAL_KEEP: '-3' },
      { MOE_JOURNAL_KEEP: '2.5' },
      { MOE_JOURNAL_KEEP: 'many' },
      { MOE_JOURNAL_PURGE: 'sometimes' },
    ])
      expect(() => journalRetentionFromEnv(env), JSON.stringify(env)).toThrow(
        expect.objectContaining({ code: 'MOE_ERR_CONFIG' }),
      );
  });
});
