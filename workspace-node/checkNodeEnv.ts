/**
 * Validates every environment variable a workspace-node reads, without starting anything, so a
 * launcher (`moe up`) can refuse a bad configuration before it starts a nats-server or binds a port.
 * Throws the same `MOE_ERR_CONFIG` / `MOE_ERR_PROJECT_CONFIG` errors the node would throw at start.
 */
import { nodeConfigFromEnv } from './config.js';
import { toolsetOptions } from './effects/agentRuntime.js';
import { limitsConfigFromEnv } from './limits/index.js';
import { loadProjectConfig, providersConfigFromEnv } from './providers/index.js';

export function checkNodeEnv(env: NodeJS.ProcessEnv = process.env): void {
  nodeConfigFromEnv(env);
  providersConfigFromEnv(env);
  limitsConfigFromEnv(env);
  const project = env.MOE_PROJECT_CONFIG?.trim();
  toolsetOptions(project ? loadProjectConfig(project).tools : undefined, env);
}
