import { configDefaults, defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/slowFirstSequencer.js';

/**
 * Test files that need a process of their own (isolate): the tracing tests register the
 * OpenTelemetry SDK globally, the abort-listener test counts every process warning, the supervision
 * test defines an error catalogue (process-wide: docs.drift would find its codes), and the
 * cluster chaos file (the longest, ~100 s under load) is here so that it starts first (vitest
 * orders files by project name, 'integration' before 'shared-process') and the two workers end
 * together. Every other file shares a worker process: it starts its own nats-server, nodes and
 * gateways, stops them (children by pid) and restores what process-wide state it changes (env,
 * listeners). A file that changes process-wide state and cannot restore it belongs here.
 */
const ISOLATED = [
  'test/integration/tracing.test.ts',
  'test/integration/tracing.otlp.test.ts',
  'test/integration/kernel.abortListeners.test.ts',
  'test/integration/kernel.supervision.test.ts',
  'test/cluster/cluster.chaos.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // on a fresh clone the known slow files start first (test/slowFirstSequencer.ts)
    sequence: { sequencer: SlowFirstSequencer },
    // Nodes started by tests (in-process or as `moe node` children, which inherit the environment)
    // serve no probe port unless a test asks for one: they would all want 9464.
    env: { MOE_NODE_HTTP_PORT: process.env.MOE_NODE_HTTP_PORT ?? 'off' },
    // scripts/test.sh asks for a JSON report to print one plain 'N passed, N failed' line.
    reporters: process.env.MOE_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.MOE_TEST_REPORT ? { outputFile: { json: process.env.MOE_TEST_REPORT } } : {}),
    projects: [
      {
        // each file in a fresh process (isolate)
        extends: true,
        test: { name: 'integration', include: ISOLATED },
      },
      {
        // The files of one worker share a process and the modules it loaded (isolate: false).
        // A fresh process per file spent 2-10 s of module loading per file under load (measured:
        // test/unit 160 s -> 38 s, 16 gateway files 304 s -> 200 s; 23 kernel and supervisor
        // files 121 s -> 63 s, every test passing). Vitest orders files by project name, so these
        // start after the isolated ones.
        extends: true,
        test: {
          name: 'shared-process',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ISOLATED],
          isolate: false,
        },
      },
    ],
  },
});
