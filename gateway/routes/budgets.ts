/**
 * Budgets over REST: `PUT/GET/DELETE /api/orgs/:org/budget`, `/api/workspaces/:id/budget` and
 * `/api/projects/:id/budget`. A budget is stored where the nodes' limiter counts it: its record in
 * the `moe_limits` KV bucket (schemas/budgets.ts), written with the one compare-and-set, so a new
 * limit and the period's usage change together and a running period keeps its usage (and its
 * fired alerts) when the limit moves. An org budget set here wins over the nodes' configured one
 * (`MOE_BUDGET_MICROS`, the project config's `limits.budgets`).
 *
 * Setting needs org admin; reading needs sight of the scope (viewer). Another tenant's workspace
 * or project is a 404, like everywhere else.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { kvCas } from '../../actors/kernel/index.js';
import {
  budgetKey,
  BudgetSetting,
  periodKey,
  type BudgetRecord,
  type BudgetScope,
} from '../../schemas/index.js';
import { budgetStore, budgetView } from '../budgetStore.js';
import { principal, type GatewayContext } from '../context.js';
import { errorResponses, IdParams, OrgParams } from '../httpSchemas.js';

export function budgetRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access } = ctx;
  const store = budgetStore(ctx.bus.nc);
  const kv = store.kv;
  const read = (scope: BudgetScope) => store.view(scope);

  async function write(scope: BudgetScope, setting: BudgetSetting) {
    const now = Date.now();
    const record = await kvCas<BudgetRecord>(await kv(), budgetKey(scope), (cur) => ({
      ...(cur ?? { period: periodKey(setting.period ?? 'month', now), usedMicros: 0 }),
      setting,
    }));
    return budgetView(scope, record, now);
  }

  /** Removes the setting; the period's usage stays counted (a budget set again finds it). */
  async function remove(scope: BudgetScope) {
    const record = await kvCas<BudgetRecord | undefined>(await kv(), budgetKey(scope), (cur) => {
      if (!cur?.setting) return cur;
      const { setting: _removed, ...rest } = cur;
      return rest;
    });
    return budgetView(scope, record, Date.now());
  }

  const tags = ['budgets'];
  const response = errorResponses(403, 404);
  const orgGet = { schema: { tags, params: OrgParams, response } };
  const orgPut = { schema: { tags, params: OrgParams, body: BudgetSetting, response } };
  const idGet = { schema: { tags, params: IdParams, response } };
  const idPut = { schema: { tags, params: IdParams, body: BudgetSetting, response } };

  return async (app) => {
    app.get('/api/orgs/:org/budget', orgGet, async (req) => {
      access.requireOrg(principal(req), req.params.org, 'viewer');
      return read({ kind: 'org', org: req.params.org, id: req.params.org });
    });
    app.put('/api/orgs/:org/budget', orgPut, async (req) => {
      access.requireOrg(principal(req), req.params.org, 'admin');
      return write({ kind: 'org', org: req.params.org, id: req.params.org }, req.body);
    });
    app.delete('/api/orgs/:org/budget', orgGet, async (req) => {
      access.requireOrg(principal(req), req.params.org, 'admin');
      return remove({ kind: 'org', org: req.params.org, id: req.params.org });
    });
    app.delete('/api/workspaces/:id/budget', idGet, async (req) => {
      const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
      return remove({ kind: 'workspace', org: ws.org, id: ws.id });
    });
    app.delete('/api/projects/:id/budget', idGet, async (req) => {
      const { project } = access.requireProject(principal(req), req.params.id, 'admin');
      return remove({ kind: 'project', org: project.org, id: project.id });
    });
    app.get('/api/workspaces/:id/budget', idGet, async (req) => {
      const { ws } = access.requireWorkspace(principal(req), req.params.id);
      return read({ kind: 'workspace', org: ws.org, id: ws.id });
    });
    app.put('/api/workspaces/:id/budget', idPut, async (req) => {
      const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
      return write({ kind: 'workspace', org: ws.org, id: ws.id }, req.body);
    });
    app.get('/api/projects/:id/budget', idGet, async (req) => {
      const { project } = access.requireProject(principal(req), req.params.id);
      return read({ kind: 'project', org: project.org, id: project.id });
    });
    app.put('/api/projects/:id/budget', idPut, async (req) => {
      const { project } = access.requireProject(principal(req), req.params.id, 'admin');
      return write({ kind: 'project', org: project.org, id: project.id }, req.body);
    });
  };
}
