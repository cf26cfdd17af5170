/**
 * Webhook signing secrets at rest: AES-256-GCM (node:crypto) under a 32-byte key from
 * `MOE_SECRETS_KEY` (base64). A sealed secret is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url;
 * the key id is the first 8 hex of sha256(key), so a wrong or rotated key is named, not guessed).
 * `MOE_SECRETS_KEY_PREVIOUS` (comma-separated, base64) still opens secrets sealed under older keys
 * during a rotation; they are sealed again under the current key when next read.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { errors } from '../errors.js';

const PREFIX = 'v1';

export interface SecretBox {
  /** the current key's id */
  readonly keyId: string;
  seal(plain: string): string;
  /** The secret, or MOE_ERR_SECRETS_KEY_WRONG when no configured key opens it. */
  open(sealed: string): string;
  /** true when `sealed` is under an older key (it should be sealed again) */
  stale(sealed: string): boolean;
}

export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** A base64 key → its 32 bytes, or MOE_ERR_SECRETS_KEY_INVALID naming the variable. */
export function parseSecretsKey(raw: string, name = 'MOE_SECRETS_KEY'): Buffer {
  const key = Buffer.from(raw.trim(), 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+=*$/.test(raw.trim()))
    throw errors.SECRETS_KEY_INVALID(
      `${name} must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`,
    );
  return key;
}

/** The box of `MOE_SECRETS_KEY` (+ `MOE_SECRETS_KEY_PREVIOUS`), or null when no key is set. */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | null {
  const raw = env.MOE_SECRETS_KEY?.trim();
  if (!raw) return null;
  const previous = (env.MOE_SECRETS_KEY_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => parseSecretsKey(s, 'MOE_SECRETS_KEY_PREVIOUS'));
  return secretBox(parseSecretsKey(raw), previous);
}

/** @example const box = secretBox(randomBytes(32)); box.open(box.seal('whsec_…')) // 'whsec_…' */
export function secretBox(key: Buffer, previous: readonly Buffer[] = []): SecretBox {
  if (key.length !== 32) throw errors.SECRETS_KEY_INVALID(`the key is ${key.length} bytes, not 32`);
  const keyId = keyIdOf(key);
  const keys = new Map([...previous.map((k) => [keyIdOf(k), k] as const), [keyId, key]]);
  const b64 = (b: Buffer) => b.toString('base64url');
  return {
    keyId,
    seal(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return [PREFIX, keyId, b64(iv), b64(c.getAuthTag()), b64(ct)].join('.');
    },
    open(sealed) {
      const [v, kid, iv, tag, ct] = sealed.split('.');
      if (v !== PREFIX || !kid || iv === undefined || tag === undefined || ct === undefined)
        throw errors.SECRETS_KEY_WRONG('the stored secret is not in the sealed format');
      const k = keys.get(kid);
      if (!k)
        throw errors.SECRETS_KEY_WRONG(
          `sealed under key ${kid}; MOE_SECRETS_KEY is key ${keyId} (set the old key in MOE_SECRETS_KEY_PREVIOUS to rotate)`,
        );
      try {
        const d = createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64url'));
        d.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
      } catch (err) {
        throw errors.SECRETS_KEY_WRONG(`key ${kid} does not open the stored secret (tampered?)`, {
          cause: err,
        });
      }
    },
    stale(sealed) {
      return sealed.split('.')[1] !== keyId;
    },
  };
}
