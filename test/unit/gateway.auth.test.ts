/** Gateway building blocks without NATS: password hashing, API keys, ids, and error mapping. */
import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  newApiKey,
  newId,
  newSessionId,
  newTaskId,
  parseApiKey,
  parseSessionId,
  parseTaskId,
  userIdForEmail,
  verifyPassword,
} from '../../gateway/crypto.js';
import { errors, toMoeError } from '../../gateway/index.js';
import { allCatalogues } from '../../schemas/index.js';

describe('gateway crypto', () => {
  it('a password verifies against its scrypt hash and a wrong one does not', async () => {
    const stored = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
    expect(stored.alg).toBe('scrypt');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('wrong horse', stored)).toBe(false);
  });

  it('an API key names its key id and is stored only as a sha256', () => {
    const id = newId('k');
    const { key, hash } = newApiKey(id);
    expect(parseApiKey(key)).toEqual({ keyId: id });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain(hash);
    expect(parseApiKey('moe_bogus')).toBeNull();
  });

  it('session and task ids locate their workspace and project', () => {
    const ws = newId('w');
    const p = newId('p');
    expect(parseSessionId(newSessionId(ws))).toEqual({ ws });
    expect(parseTaskId(newTaskId(ws, p))).toEqual({ ws, project: p });
    expect(parseTaskId('w1-p2-t3')).toBeNull();
    expect(userIdForEmail(' A@Example.com')).toBe(userIdForEmail('a@example.com'));
  });
});

describe('gateway errors', () => {
  it('every gateway code is a MOE_ERR_ code with an HTTP error status, and codes are unique', () => {
    const specs = Object.values(allCatalogues().get('gateway') ?? {});
    expect(specs.length).toBeGreaterThan(10);
    for (const s of specs) {
      expect(s.code).toMatch(/^MOE_ERR_[A-Z0-9_]+$/);
      expect(s.status).toBeGreaterThanOrEqual(400);
    }
    expect(new Set(specs.map((s) => s.code)).size).toBe(specs.length);
  });

  it('Fastify errors map to catalogued codes', () => {
    expect(toMoeError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).code).toBe(
      'MOE_ERR_PAYLOAD_TOO_LARGE',
    );
    expect(toMoeError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }).code).toBe(
      'MOE_ERR_MALFORMED_JSON',
    );
    expect(toMoeError({ validation: [], message: 'body/name' }).code).toBe('MOE_ERR_VALIDATION');
    expect(toMoeError(new Error('boom')).status).toBe(500);
    expect(toMoeError(errors.FORBIDDEN()).status).toBe(403);
  });
});
