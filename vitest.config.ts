import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
