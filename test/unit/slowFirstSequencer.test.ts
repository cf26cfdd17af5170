/**
 * The fresh-clone order of test files (test/slowFirstSequencer.ts): the known slow files of each
 * project first, slowest first, the rest in vitest's order; the projects' order kept; and every
 * listed file exists (a renamed file would silently lose its place).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLOW_FILES, slowFirst } from '../slowFirstSequencer.js';

type F = { project: string; path: string };
const order = (files: F[]) =>
  slowFirst(
    files,
    (f) => f.project,
    (f) => f.path,
  ).map((f) => `${f.project}:${f.path}`);

describe('slowFirst', () => {
  it("moves each project's known slow files to its front, slowest first, the rest kept in order", () => {
    const [slowest, second] = SLOW_FILES;
    const files: F[] = [
      { project: 'integration', path: 'test/cluster/a.test.ts' },
      { project: 'shared', path: 'test/unit/big.test.ts' },
      { project: 'shared', path: second! },
      { project: 'shared', path: 'test/unit/small.test.ts' },
      { project: 'shared', path: slowest! },
    ];
    expect(order(files)).toEqual([
      'integration:test/cluster/a.test.ts',
      `shared:${slowest}`,
      `shared:${second}`,
      'shared:test/unit/big.test.ts',
      'shared:test/unit/small.test.ts',
    ]);
  });

  it('lists only files that exist, once each', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    expect(SLOW_FILES.filter((f) => !existsSync(resolve(root, f)))).toEqual([]);
    expect(new Set(SLOW_FILES).size).toBe(SLOW_FILES.length);
  });
});
