import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // Nodes started by tests (in-process or as `moe node` children, which inherit the environment)
    // serve no probe port unless a test asks for one: they would all want 9464.
    env: { MOE_NODE_HTTP_PORT: process.env.MOE_NODE_HTTP_PORT ?? 'off' },
    // scripts/test.sh asks for a JSON report to print one plain 'N passed, N failed' line.
    reporters: process.env.MOE_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.MOE_TEST_REPORT ? { outputFile: { json: process.env.MOE_TEST_REPORT } } : {}),
    projects: [
      {
        // Real nats-servers, nodes and child processes: each file in a fresh process (isolate).
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
        },
      },
      {
        // Pure code and temp dirs: the files of one worker share a process and its loaded modules.
        // A fresh process per file spent ~3 s loading modules per file under load (import 192 s
        // for 64 files, tests 47 s); shared, the unit files take ~40 s instead of ~160 s.
        // Vitest orders files by project name ('integration' first), so these fill a run's end.
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
    ],
  },
});
