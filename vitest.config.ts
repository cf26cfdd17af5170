import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that may share a worker process: pure code and temp dirs (unit), and the gateway
 * tests, each on its own nats-server, node and gateway, built and closed in process by
 * test/integration/gateway.fixture.ts. A file that changes process-wide state (globals, env,
 * signal handlers) and does not restore it belongs in the isolated project.
 */
const SHARED_PROCESS = ['test/unit/**/*.test.ts', 'test/integration/gateway.*.test.ts'];

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
        // Real servers and child processes that the test files of this project start, stop and
        // kill: each file in a fresh process (isolate).
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SHARED_PROCESS],
        },
      },
      {
        // The files of one worker share a process and the modules it loaded (isolate: false).
        // A fresh process per file spent 2-10 s of module loading per file under load (measured:
        // test/unit 160 s -> 38 s, 16 gateway files 304 s -> 200 s, every test passing). Vitest
        // orders files by project name, so these start after the isolated ones.
        extends: true,
        test: { name: 'shared-process', include: SHARED_PROCESS, isolate: false },
      },
    ],
  },
});
