/** All route families of the gateway, registered as one plugin. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { GatewayContext } from '../context.js';
import { agentRoutes } from './agents.js';
import { apiKeyRoutes } from './apiKeys.js';
import { authRoutes } from './auth.js';
import { backupRoutes } from './backups.js';
import { billingRoutes } from './billing.js';
import { boardRoutes } from './boards.js';
import { budgetRoutes } from './budgets.js';
import { cardRoutes } from './cards.js';
import { healthRoutes } from './health.js';
import { messageRoutes } from './messages.js';
import { orgRoutes } from './orgs.js';
import { projectRoutes } from './projects.js';
import { searchRoutes } from './search.js';
import { sessionRoutes } from './sessions.js';
import { streamRoutes } from './streams.js';
import { stripeWebhookRoutes } from './stripeWebhook.js';
import { taskRoutes } from './tasks.js';
import { teamRoutes } from './teams.js';
import { terminalRoutes } from './terminal.js';
import { natsCredentialRoutes } from './natsCredentials.js';
import { usageRoutes } from './usage.js';
import { webhookRoutes } from './webhooks.js';
import { workspaceRoutes } from './workspaces.js';
import { workspaceUsageRoutes } from './workspaceUsage.js';

export function registerRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const family of [
      healthRoutes,
      authRoutes,
      orgRoutes,
      teamRoutes,
      apiKeyRoutes,
      natsCredentialRoutes,
      workspaceRoutes,
      projectRoutes,
      sessionRoutes,
      taskRoutes,
      streamRoutes,
      agentRoutes,
      usageRoutes,
      workspaceUsageRoutes,
      backupRoutes,
      billingRoutes,
      boardRoutes,
      cardRoutes,
      messageRoutes,
      terminalRoutes,
      searchRoutes,
      stripeWebhookRoutes,
      budgetRoutes,
      webhookRoutes,
    ]) {
      await app.register(family(ctx));
    }
  };
}
