import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // scripts/test.sh asks for a JSON report to print one plain 'N passed, N failed' line.
    reporters: process.env.MOE_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.MOE_TEST_REPORT ? { outputFile: { json: process.env.MOE_TEST_REPORT } } : {}),
  },
});
