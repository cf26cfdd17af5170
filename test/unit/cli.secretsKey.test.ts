/**
 * `moe up`'s webhook-secrets key (cli/secretsKey.ts): generated once into the data dir with mode
 * 0600 and said so once; reused (same key id, no message) on the next start; MOE_SECRETS_KEY wins.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyIdOf } from '../../gateway/webhooks/index.js';
import { embeddedSecretBox, SECRETS_KEY_FILE } from '../../cli/secretsKey.js';

const dirs: string[] = [];
const saved = process.env.MOE_SECRETS_KEY;
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (saved === undefined) delete process.env.MOE_SECRETS_KEY;
  else process.env.MOE_SECRETS_KEY = saved;
});

describe('embeddedSecretBox', () => {
  it('generates a 0600 key file once and reuses it', () => {
    delete process.env.MOE_SECRETS_KEY;
    const dir = mkdtempSync(join(tmpdir(), 'moe-key-'));
    dirs.push(dir);
    const lines: string[] = [];
    const first = embeddedSecretBox(join(dir, 'data'), (l) => lines.push(l));
    const file = join(dir, 'data', SECRETS_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`generated ${file}`);
    const second = embeddedSecretBox(join(dir, 'data'), (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(second.keyId).toBe(first.keyId);
    expect(second.open(first.seal('whsec_x'))).toBe('whsec_x');
  });

  it('uses MOE_SECRETS_KEY when set, writing nothing', () => {
    const key = randomBytes(32);
    process.env.MOE_SECRETS_KEY = key.toString('base64');
    const dir = mkdtempSync(join(tmpdir(), 'moe-key-'));
    dirs.push(dir);
    const lines: string[] = [];
    expect(embeddedSecretBox(dir, (l) => lines.push(l)).keyId).toBe(keyIdOf(key));
    expect(lines).toEqual([]);
    expect(() => statSync(join(dir, SECRETS_KEY_FILE))).toThrow();
  });
});
