/**
 * `MOE_CORS_ORIGINS` (gateway/cors.ts parseCorsOrigins): origins exactly as browsers send them, `*`
 * alone, or nothing; every other entry is refused with the variable and the entry named, and the
 * CLI turns that into MOE_ERR_CONFIG before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { checkCorsOrigins } from '../../cli/options.js';
import { parseCorsOrigins } from '../../gateway/index.js';

describe('parseCorsOrigins', () => {
  it('takes comma-separated origins (trimmed, once each), * alone, and unset or empty as none', () => {
    expect(
      parseCorsOrigins(' https://app.example.com, http://localhost:5173 ,https://app.example.com'),
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(parseCorsOrigins(['https://a.example'])).toEqual(['https://a.example']);
    expect(parseCorsOrigins('*')).toBe('*');
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins(' , ')).toEqual([]);
  });

  it.each([
    ['https://app.example.com/', /no trailing slash/],
    ['https://app.example.com/path', /that would be "https:\/\/app.example.com"/],
    ['https://APP.example.com', /that would be "https:\/\/app.example.com"/],
    ['https://app.example.com:443', /that would be "https:\/\/app.example.com"/],
    ['app.example.com', /is not a URL/],
    ['ftp://files.example.com', /not an http\(s\) origin/],
    ['*, https://app.example.com', /cannot be listed with others/],
  ])('refuses %s, naming the variable', (raw, why) => {
    expect(() => parseCorsOrigins(raw)).toThrow(why);
    expect(() => parseCorsOrigins(raw)).toThrow(/^MOE_CORS_ORIGINS: /);
  });

  it('the CLI reports a bad value as MOE_ERR_CONFIG', async () => {
    await expect(checkCorsOrigins({ MOE_CORS_ORIGINS: 'https://a.example/' })).rejects.toMatchObject({
      code: 'MOE_ERR_CONFIG',
      message: expect.stringContaining('MOE_CORS_ORIGINS'),
    });
    await expect(checkCorsOrigins({ MOE_CORS_ORIGINS: 'https://a.example' })).resolves.toBeUndefined();
    await expect(checkCorsOrigins({})).resolves.toBeUndefined();
  });
});
