/**
 * `GET /api/usage?org=…[&project=…&agent=…&provider=…]`: token usage of finished agent runs,
 * aggregated per project, agent (profile) and provider. Read from the journal (the agent actors'
 * records of the org's workspaces), so it needs no state of its own; scoped like everything else.
 */
import { DeliverPolicy } from '@nats-io/jetstream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STREAMS } from '../../schemas/index.js';
import { recordCodec } from '../bus.js';
import { principal, type GatewayContext } from '../context.js';
import { parseTaskId } from '../crypto.js';
import { errorResponses, UsageQuery } from '../httpSchemas.js';

interface Row {
  project: string;
  agent: string;
  provider: string;
  runs: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export function usageRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, tenancy, bus } = ctx;
  return async (app) => {
    app.get(
      '/api/usage',
      { schema: { tags: ['usage'], querystring: UsageQuery, response: errorResponses(403, 404) } },
      async (req) => {
        const p = principal(req);
        const q = req.query;
        access.requireOrg(p, q.org, 'viewer');
        if (q.project !== undefined) access.requireProject(p, q.project);
        const info = await bus.jsm.streams.info(STREAMS.events);
        const rows = new Map<string, Row>();
        const profiles = new Map<string, string>();
        if (info.state.messages > 0) {
          const consumer = await bus.js.consumers.get(STREAMS.events, {
            filter_subjects: `moe.evt.${q.org}.*.agent.*`,
            deliver_policy: DeliverPolicy.All,
          });
          const last = info.state.last_seq;
          const messages = await consumer.consume();
          const timer = setTimeout(() => void messages.close(), 10_000);
          for await (const m of messages) {
            const rec = recordCodec.decode(m.data);
            const id = rec.actor.id;
            if (rec.cmd.type === 'task.submit')
              profiles.set(id, String((rec.cmd.data?.profile as string | undefined) ?? 'default'));
            for (const e of rec.events as (Record<string, unknown> & { type: string })[]) {
              if (e.type !== 'task.completed' && e.type !== 'task.failed') continue;
              const project = parseTaskId(id)?.project ?? 'unknown';
              const pv = tenancy.projects.get(project);
              if (!pv || !access.canSeeProject(p, pv)) continue;
              const agent = profiles.get(id) ?? 'default';
              const provider = typeof e.provider === 'string' ? e.provider : 'none';
              if (
                (q.project && project !== q.project) ||
                (q.agent && agent !== q.agent) ||
                (q.provider && provider !== q.provider)
              )
                continue;
              const key = `${project}|${agent}|${provider}`;
              const row = rows.get(key) ?? {
                project,
                agent,
                provider,
                runs: 0,
                failed: 0,
                inputTokens: 0,
                outputTokens: 0,
                cacheReadTokens: 0,
                cacheWriteTokens: 0,
              };
              row.runs += 1;
              if (e.type === 'task.failed') row.failed += 1;
              const u = (e.usage ?? {}) as Record<string, number>;
              row.inputTokens += u.inputTokens ?? 0;
              row.outputTokens += u.outputTokens ?? 0;
              row.cacheReadTokens += u.cacheReadTokens ?? 0;
              row.cacheWriteTokens += u.cacheWriteTokens ?? 0;
              rows.set(key, row);
            }
            if (m.seq >= last || m.info.pending === 0) break;
          }
          clearTimeout(timer);
          await messages.close();
        }
        const list = [...rows.values()];
        const total = list.reduce(
          (t, r) => ({
            runs: t.runs + r.runs,
            failed: t.failed + r.failed,
            inputTokens: t.inputTokens + r.inputTokens,
            outputTokens: t.outputTokens + r.outputTokens,
            cacheReadTokens: t.cacheReadTokens + r.cacheReadTokens,
            cacheWriteTokens: t.cacheWriteTokens + r.cacheWriteTokens,
          }),
          { runs: 0, failed: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
        );
        return { org: q.org, rows: list, total, cost: null };
      },
    );
  };
}
