/** MOE_GATEWAY_SNAPSHOT_MS is checked before the gateway starts: a bad value is MOE_ERR_CONFIG naming it. */
import { afterEach, describe, expect, it } from 'vitest';
import { checkSnapshotInterval } from '../../cli/options.js';

const saved = process.env.MOE_GATEWAY_SNAPSHOT_MS;
afterEach(() => {
  if (saved === undefined) delete process.env.MOE_GATEWAY_SNAPSHOT_MS;
  else process.env.MOE_GATEWAY_SNAPSHOT_MS = saved;
});

describe('MOE_GATEWAY_SNAPSHOT_MS', () => {
  it('unset or a positive integer is accepted', () => {
    delete process.env.MOE_GATEWAY_SNAPSHOT_MS;
    expect(() => checkSnapshotInterval()).not.toThrow();
    process.env.MOE_GATEWAY_SNAPSHOT_MS = '60000';
    expect(() => checkSnapshotInterval()).not.toThrow();
  });

  it('zero or a word is refused with MOE_ERR_CONFIG naming the variable', () => {
    for (const bad of ['0', 'often', '-5']) {
      process.env.MOE_GATEWAY_SNAPSHOT_MS = bad;
      expect(() => checkSnapshotInterval()).toThrow(
        expect.objectContaining({
          code: 'MOE_ERR_CONFIG',
          message: expect.stringMatching(/MOE_GATEWAY_SNAPSHOT_MS/),
        }),
      );
    }
  });
});
