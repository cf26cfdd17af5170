/**
 * Webhook secrets sealed at rest (gateway/webhooks/secretBox.ts): AES-256-GCM round trip, a fresh
 * IV per seal, a wrong or tampered key is MOE_ERR_SECRETS_KEY_WRONG (not a crash), a previous key
 * still opens during a rotation, and a key that is not 32 base64 bytes is MOE_ERR_SECRETS_KEY_INVALID.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSecretsKey, secretBox, secretBoxFromEnv } from '../../gateway/webhooks/index.js';
import { MoeError } from '../../schemas/index.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof MoeError ? err.code : `not a MoeError: ${String(err)}`;
  }
  return 'no error';
};

describe('secretBox', () => {
  it('seals and opens; the sealed text holds neither the secret nor a repeated IV', () => {
    const box = secretBox(randomBytes(32));
    const a = box.seal('whsec_abc');
    const b = box.seal('whsec_abc');
    expect(a).not.toContain('whsec_abc');
    expect(a).not.toBe(b);
    expect(a.split('.')).toHaveLength(5);
    expect(a.split('.')[1]).toBe(box.keyId);
    expect(box.open(a)).toBe('whsec_abc');
    expect(box.stale(a)).toBe(false);
  });

  it('a wrong key, a tampered ciphertext or a garbled record is MOE_ERR_SECRETS_KEY_WRONG', () => {
    const sealed = secretBox(randomBytes(32)).seal('whsec_abc');
    expect(code(() => secretBox(randomBytes(32)).open(sealed))).toBe('MOE_ERR_SECRETS_KEY_WRONG');
    const key = randomBytes(32);
    const box = secretBox(key);
    const parts = box.seal('whsec_abc').split('.');
    parts[4] = Buffer.from('whsec_abd').toString('base64url');
    expect(code(() => box.open(parts.join('.')))).toBe('MOE_ERR_SECRETS_KEY_WRONG');
    expect(code(() => box.open('garbage'))).toBe('MOE_ERR_SECRETS_KEY_WRONG');
  });

  it('opens secrets of a previous key during a rotation and marks them stale', () => {
    const old = randomBytes(32);
    const sealed = secretBox(old).seal('whsec_old');
    const env = {
      MOE_SECRETS_KEY: randomBytes(32).toString('base64'),
      MOE_SECRETS_KEY_PREVIOUS: old.toString('base64'),
    };
    const box = secretBoxFromEnv(env)!;
    expect(box.open(sealed)).toBe('whsec_old');
    expect(box.stale(sealed)).toBe(true);
    expect(secretBoxFromEnv({})).toBeNull();
  });

  it('refuses a key that is not 32 bytes of base64', () => {
    expect(code(() => parseSecretsKey(randomBytes(16).toString('base64')))).toBe(
      'MOE_ERR_SECRETS_KEY_INVALID',
    );
    expect(code(() => secretBoxFromEnv({ MOE_SECRETS_KEY: 'not base64 at all!' }))).toBe(
      'MOE_ERR_SECRETS_KEY_INVALID',
    );
    expect(parseSecretsKey(randomBytes(32).toString('base64'))).toHaveLength(32);
  });
});
