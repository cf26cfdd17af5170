/**
 * Restart policies end to end, on a real nats-server with a real node and supervisor: a command
 * the kernel dead-letters is a failure of its actor; the supervisor restarts it (delivers the
 * command again under `<id>#r<n>` after the backoff) while the policy allows, then stops, or
 * escalates: `actor.escalated` on `moe.ops.escalated.<org>.<ws>` and a POST to the webhook.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { escalationSubject, type ActorEscalated } from '../../supervisor/actorSupervision.js';
import { kernelErrors } from '../../actors/kernel/index.js';
import { eventually, silent, startPlatform, type Platform } from '../harness/index.js';
import { metricValue } from './metrics.kit.js';

let p: Platform;
let sup: Supervisor;
let hook: Server;
const alerts: ActorEscalated[] = [];
const events: ActorEscalated[] = [];

beforeAll(async () => {
  p = await startPlatform();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as ActorEscalated);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  p.nc.subscribe('moe.ops.escalated.>', {
    callback: (_err, m) => void events.push(m.json<ActorEscalated>()),
  });
  sup = await startSupervisor({
    nc: p.nc,
    port: 0,
    logger: silent,
    restartPolicies: {
      agent: {
        maxRestarts: 2,
        windowMs: 60_000,
        backoffBaseMs: 20,
        backoffMaxMs: 40,
        then: 'escalate',
        escalateTo: 'org-admin',
      },
      session: {
        maxRestarts: 1,
        windowMs: 60_000,
        backoffBaseMs: 20,
        backoffMaxMs: 20,
        then: 'stop',
        escalateTo: 'operators',
      },
    },
    escalationWebhookUrl: hookUrl,
  });
  await p.node({ nodeId: 'rp-node', httpPort: null });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
  await new Promise((r) => hook?.close(r));
});

const poison = { id: 'poison-1', type: 'no.such.command', data: {} };
const code = kernelErrors.UNKNOWN_COMMAND.spec.code;

/** Dead letters of one actor's subject so far. */
async function lettersOf(subject: string): Promise<number> {
  const { first_seq: first, last_seq: last, messages } = (await p.jsm.streams.info('MOE_DLQ')).state;
  let n = 0;
  for (let seq = first; messages > 0 && seq <= last; seq++) {
    const m = await p.jsm.streams.getMessage('MOE_DLQ', { seq }).catch(() => null);
    if (m?.json<{ subject: string }>().subject === subject) n++;
  }
  return n;
}

describe('restart policies', () => {
  it('restarts a failing agent twice with backoff, then escalates to the org admins by event and webhook', async () => {
    const actor = { org: 'rp', ws: 'w1', kind: 'agent', id: 'a1' };
    await p.client.send(actor, poison);
    const alert = await eventually(async () => alerts.find((a) => a.actor.id === 'a1'), {
      timeoutMs: 15_000,
      what: 'the escalation webhook called',
    });
    expect(alert).toMatchObject({ type: 'actor.escalated', actor, to: 'org-admin', code, restarts: 2 });
    expect(alert.commandId).toBe('poison-1#r2');
    await eventually(async () => events.find((e) => e.actor.id === 'a1'), { what: 'the escalation event' });
    expect(escalationSubject('rp', 'w1')).toBe('moe.ops.escalated.rp.w1');
    // the original and its two restarts were each dead-lettered; nothing more is tried
    expect(await lettersOf('moe.cmd.rp.w1.agent.a1')).toBe(3);
    const decided = sup.supervision.decisions
      .filter((d) => d.actor === 'rp.w1.agent.a1')
      .map((d) => d.decision.action);
    expect(decided).toEqual(['restart', 'restart', 'escalate']);
    const text = await (await fetch(`${sup.url}/metrics`)).text();
    expect(
      metricValue(text, 'moe_supervisor_restart_policy_decisions_total', {
        kind: 'agent',
        action: 'restart',
      }),
    ).toBe(2);
    expect(
      metricValue(text, 'moe_supervisor_restart_policy_decisions_total', {
        kind: 'agent',
        action: 'escalate',
      }),
    ).toBe(1);
    expect(metricValue(text, 'moe_supervisor_escalation_alerts_total', { outcome: 'ok' })).toBe(1);
  });

  it('restarts a failing session once, then stops it without an escalation', async () => {
    const actor = { org: 'rp', ws: 'w2', kind: 'session', id: 's1' };
    await p.client.send(actor, { ...poison, id: 'poison-s' });
    await eventually(
      async () =>
        sup.supervision.decisions.some((d) => d.actor === 'rp.w2.session.s1' && d.decision.action === 'stop')
          ? true
          : undefined,
      { timeoutMs: 15_000, what: 'the session stopped' },
    );
    const decided = sup.supervision.decisions
      .filter((d) => d.actor === 'rp.w2.session.s1')
      .map((d) => d.decision.action);
    expect(decided).toEqual(['restart', 'stop']);
    expect(await lettersOf('moe.cmd.rp.w2.session.s1')).toBe(2);
    expect(alerts.some((a) => a.actor.id === 's1')).toBe(false);
    expect(events.some((e) => e.actor.id === 's1')).toBe(false);
  });
});
