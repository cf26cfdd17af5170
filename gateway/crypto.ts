/**
 * Secrets and ids. Passwords: scrypt (memory-hard; N=2^15, r=8, p=1 ≈ 32 MiB per hash) with the
 * parameters stored next to the hash so they can be raised later. API keys: 32 random bytes shown
 * once, stored as sha256 (high-entropy secrets need no slow hash). Ids are random tokens that fit a
 * NATS subject; session and task ids embed their workspace (and project) so a URL locates its actor.
 */
import {
  createHash,
  randomBytes,
  randomFillSync,
  scrypt,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import type { PasswordHash } from '../schemas/index.js';

export const SCRYPT_DEFAULTS = { N: 32768, r: 8, p: 1 } as const;
const KEY_LEN = 32;

function scryptAsync(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      salt,
      KEY_LEN,
      { ...opts, maxmem: 256 * opts.N! * opts.r! + 16 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** @example const stored = await hashPassword('s3cret'); await verifyPassword('s3cret', stored) // true */
export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS,
): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params);
  return { alg: 'scrypt', ...params, salt: salt.toString('base64'), hash: key.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(stored.salt, 'base64'), {
    N: stored.N,
    r: stored.r,
    p: stored.p,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A burnt hash to verify against when the email is unknown, so timing does not reveal accounts. */
export const DUMMY_PASSWORD: PasswordHash = {
  alg: 'scrypt',
  ...SCRYPT_DEFAULTS,
  salt: 'AAAAAAAAAAAAAAAAAAAAAA==',
  hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
};

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** `moe_<keyId>_<secret>`: the key id lets the gateway find the key without scanning. */
export function newApiKey(keyId: string): { key: string; hash: string } {
  const key = `moe_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { key, hash: sha256Hex(key) };
}

export function parseApiKey(key: string): { keyId: string } | null {
  const m = /^moe_(k[0-9a-f]{16})_[A-Za-z0-9_-]{43}$/.exec(key);
  return m?.[1] ? { keyId: m[1] } : null;
}

export function constantTimeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Random bytes for ids, drawn from the CSPRNG 4 KiB at a time (as `randomUUID` does): one
 * `randomBytes(8)` per id cost about 25 µs of a request's time, mostly the call, not the entropy.
 */
const ID_POOL = Buffer.alloc(4096);
let idPoolAt = ID_POOL.length;

function randomHex(bytes: number): string {
  if (idPoolAt + bytes > ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolAt = 0;
  }
  const hex = ID_POOL.toString('hex', idPoolAt, idPoolAt + bytes);
  idPoolAt += bytes;
  return hex;
}

/** A random id: one letter of kind + 16 hex digits (`w3f…`, `p…`, `t…`). */
export function newId(prefix: 'o' | 'w' | 'p' | 'm' | 'k' | 's' | 't' | 'c' | 'b' | 'r'): string {
  return `${prefix}${randomHex(8)}`;
}

/** The user id of an email: the user actor is addressed by it, so one email = one actor. */
export function userIdForEmail(email: string): string {
  return `u${sha256Hex(email.trim().toLowerCase()).slice(0, 24)}`;
}

const SESSION_RE = /^(w[0-9a-f]{16})-(s[0-9a-f]{16})$/;
const TASK_RE = /^(w[0-9a-f]{16})-(p[0-9a-f]{16})-(t[0-9a-f]{16})$/;
const BOARD_RE = /^(w[0-9a-f]{16})-(p[0-9a-f]{16})-(b[0-9a-f]{16})$/;
const CARD_RE = /^(w[0-9a-f]{16})-(p[0-9a-f]{16})-(c[0-9a-f]{16})$/;

export function newSessionId(ws: string): string {
  return `${ws}-${newId('s')}`;
}

export function newTaskId(ws: string, project: string): string {
  return `${ws}-${project}-${newId('t')}`;
}

export function parseSessionId(id: string): { ws: string } | null {
  const m = SESSION_RE.exec(id);
  return m?.[1] ? { ws: m[1] } : null;
}

export function parseTaskId(id: string): { ws: string; project: string } | null {
  const m = TASK_RE.exec(id);
  return m?.[1] && m[2] ? { ws: m[1], project: m[2] } : null;
}

/** A board of a project (seed 002): `<ws>-<project>-b…`, actor `moe.cmd.<org>.<ws>.board.<id>`. */
export function newBoardId(ws: string, project: string): string {
  return `${ws}-${project}-${newId('b')}`;
}

/** A card on a board (seed 002): `<ws>-<project>-c…`, actor `moe.cmd.<org>.<ws>.card.<id>`. */
export function newCardId(ws: string, project: string): string {
  return `${ws}-${project}-${newId('c')}`;
}

export function parseBoardId(id: string): { ws: string; project: string } | null {
  const m = BOARD_RE.exec(id);
  return m?.[1] && m[2] ? { ws: m[1], project: m[2] } : null;
}

export function parseCardId(id: string): { ws: string; project: string } | null {
  const m = CARD_RE.exec(id);
  return m?.[1] && m[2] ? { ws: m[1], project: m[2] } : null;
}
