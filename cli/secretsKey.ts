/**
 * The key that seals webhook signing secrets at rest (gateway/webhooks/secretBox.ts):
 * `MOE_SECRETS_KEY` (32 bytes, base64) when set; for the embedded `moe up` without it, a key
 * generated once into `<data dir>/secrets.key` (mode 0600) and reused on every later start — the
 * log says so when it is generated. `moe gateway` alone without the key says that registering a
 * webhook will be refused (MOE_ERR_SECRETS_KEY_MISSING).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSecretsKey, secretBox, secretBoxFromEnv, type SecretBox } from '../gateway/index.js';

export const SECRETS_KEY_FILE = 'secrets.key';

/** The box of MOE_SECRETS_KEY, else of `<dataDir>/secrets.key` (generated on first use). */
export function embeddedSecretBox(dataDir: string, print: (s: string) => void): SecretBox {
  const fromEnv = secretBoxFromEnv();
  if (fromEnv) return fromEnv;
  const file = join(dataDir, SECRETS_KEY_FILE);
  if (existsSync(file)) return secretBox(parseSecretsKey(readFileSync(file, 'utf8'), file));
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  const box = secretBox(parseSecretsKey(readFileSync(file, 'utf8'), file));
  print(
    `  secrets   generated ${file} (key ${box.keyId}, mode 0600): it seals webhook secrets; back it up with the data dir, or set MOE_SECRETS_KEY`,
  );
  return box;
}

/** The box of MOE_SECRETS_KEY for `moe gateway` alone, or null (said so). */
export function standaloneSecretBox(print: (s: string) => void): SecretBox | null {
  const box = secretBoxFromEnv();
  if (!box)
    print(
      '  note      MOE_SECRETS_KEY is not set: registering a webhook is refused (MOE_ERR_SECRETS_KEY_MISSING); see docs/billing.md',
    );
  return box;
}
