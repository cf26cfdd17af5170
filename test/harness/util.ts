/** Small test helpers: temp dirs that clean themselves, and polling for eventual outcomes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'moe-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The temp dirs of one test file, removed together: `const dirs = tempDirs()`, then
 * `dirs.make('moe-x-')` for a new dir's path, `dirs.paths()` for all of them, `dirs.removeAll()` in afterAll.
 */
export function tempDirs(): { make(prefix?: string): string; paths(): string[]; removeAll(): void } {
  const made: Array<{ path: string; remove(): void }> = [];
  return {
    make: (prefix?: string) => {
      const d = tempDir(prefix);
      made.push(d);
      return d.path;
    },
    paths: () => made.map((d) => d.path),
    removeAll: () => {
      for (const d of made.splice(0)) d.remove();
    },
  };
}

/** Polls `probe` until it returns a non-undefined value, or throws after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 15_000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves when a child process has exited (at once if it already has). */
export function exited(c: {
  exitCode: number | null;
  signalCode: string | null;
  once: (e: 'exit', f: () => void) => void;
}): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => c.once('exit', r));
}
