/**
 * The order in which vitest starts test files on a fresh clone (CI): the slowest known files
 * first, so that the two workers do not end with one of them alone on a long file. Vitest's own
 * order (BaseSequencer) is by the durations of an earlier run when its cache has them (local
 * reruns: kept as it is), else by file size, and some of the slowest files are small (a chaos
 * file of 19 s came 184th of 203 by size). Projects keep vitest's order ('integration' first).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files, slowest first (seconds measured 3 December 2026, both workers busy, shared
 * worker processes). Only the order matters: a file missing here runs after these, by size.
 */
export const SLOW_FILES = [
  'test/integration/console.browser.test.ts', // 37
  'test/integration/replay.parallel.test.ts', // 34
  'test/chaos/rolling-restart.test.ts', // 33
  'test/integration/cli.restore.test.ts', // 33
  'test/integration/console.views.test.ts', // 29
  'test/chaos/kill-node.test.ts', // 23
  'test/cluster/followerPull.test.ts', // 27–30 alone (4 December)
  'test/integration/kernel.pullLiveness.test.ts', // 21 (4 December)
  'test/integration/cli.demo.test.ts', // 21
  'test/integration/cli.backup.test.ts', // 21
  'test/chaos/kill-nats.test.ts', // 19
  'test/integration/kernel.deliveryGaps.test.ts', // 18 (4 December)
  'test/chaos/primary-down.test.ts', // 19
  'test/integration/supervisor.stopPolicy.test.ts', // 19
  'test/integration/natsCredentials.test.ts', // 18
  'test/integration/cli.budgetsWebhooks.test.ts', // 17
  'test/integration/projections.worker.test.ts', // 16
  'test/integration/escalation.routing.test.ts', // 16
  'test/integration/cli.up.test.ts', // 16
  'test/chaos/failover-separate-dirs.test.ts', // 15
  'test/integration/console.nodeDeath.test.ts', // 15
];

/** `files` in vitest's order, each project's known slow files moved to its front (slowest first). */
export function slowFirst<T>(files: readonly T[], project: (f: T) => string, path: (f: T) => string): T[] {
  const rank = (f: T) => {
    const i = SLOW_FILES.indexOf(path(f));
    return i < 0 ? SLOW_FILES.length : i;
  };
  const byProject = new Map<string, T[]>();
  for (const f of files) byProject.set(project(f), [...(byProject.get(project(f)) ?? []), f]);
  // Array.prototype.sort is stable: the files of equal rank keep vitest's order.
  return [...byProject.values()].flatMap((group) => [...group].sort((a, b) => rank(a) - rank(b)));
}

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const path = (f: TestSpecification) => f.moduleId.slice(root.length + 1);
    const cached = sorted.some((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${path(f)}`));
    return cached ? sorted : slowFirst(sorted, (f) => f.project.name, path);
  }
}
