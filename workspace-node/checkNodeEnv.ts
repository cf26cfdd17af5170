/**
 * Validates every environment variable a workspace-node reads, without starting anything, so a
 * launcher (`moe up`) can refuse a bad configuration before it starts a nats-server or binds a port.
 * Throws the same `MOE_ERR_CONFIG` / `MOE_ERR_PROJECT_CONFIG` / `MOE_ERR_DATA_DIR_ON_FUSE` errors
 * the node would throw at start.
 */
import { nodeConfigFromEnv } from './config.js';
import { assertDataDirNotOnFuse } from './dataDirFs.js';
import { stripeConfigFromEnv } from './billing/stripe/index.js';
import { drainConfigFromEnv } from './drain.js';
import { toolsetOptions } from './effects/agentRuntime.js';
import { limitsConfigFromEnv } from './limits/index.js';
import { loadProjectConfig, providersConfigFromEnv } from './providers/index.js';

export interface CheckNodeEnvOptions {
  /** the data dir from a flag (`--data-dir`), over MOE_DATA_DIR */
  readonly dataDir?: string;
  /** mount table to read (tests); default /proc/self/mountinfo */
  readonly mountTable?: string;
}

export function checkNodeEnv(env: NodeJS.ProcessEnv = process.env, options: CheckNodeEnvOptions = {}): void {
  const config = nodeConfigFromEnv(env, options.dataDir !== undefined ? { dataDir: options.dataDir } : {});
  assertDataDirNotOnFuse(config.dataDir, options.mountTable);
  providersConfigFromEnv(env);
  limitsConfigFromEnv(env);
  drainConfigFromEnv(env);
  stripeConfigFromEnv(env);
  const project = env.MOE_PROJECT_CONFIG?.trim();
  toolsetOptions(project ? loadProjectConfig(project).tools : undefined, env);
}
