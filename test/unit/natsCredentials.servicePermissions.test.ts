/**
 * Each platform service's credential allows the subjects that service publishes (and the gateway
 * still not the journal): the subjects are taken from the code that builds them, matched with NATS
 * wildcard rules, so a new publisher without its permission fails here instead of in a deployment
 * that runs on per-service credentials.
 */
import { describe, expect, it } from 'vitest';
import { servicePermissions } from '../../gateway/natsCredentials/permissions.js';
import { webhookJobSubject } from '../../gateway/webhooks/webhookService.js';
import { SERIES_SUBJECT } from '../../gateway/console/seriesStore.js';
import { billingDraftSubject, deadLetterSubject } from '../../schemas/index.js';

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const allowed = (allow: readonly string[], subject: string) => allow.some((a) => matches(a, subject));

describe('service credentials', () => {
  it('let the gateway publish commands, dead letters, node requests, webhook jobs and chart samples, not the journal', () => {
    const { pub } = servicePermissions('gateway');
    for (const subject of [
      'moe.cmd.o1.w1.billing.billing',
      deadLetterSubject('o1', 'w1'),
      'moe.api.o1.w1.search',
      billingDraftSubject('o1', 'w1'),
      webhookJobSubject('o1', 'ep1'),
      SERIES_SUBJECT,
    ])
      expect(allowed(pub.allow, subject), subject).toBe(true);
    expect(allowed(pub.allow, 'moe.evt.o1.w1.agent.a1')).toBe(false);
  });

  it('match subjects with NATS wildcard rules', () => {
    expect(matches('moe.webhook.>', 'moe.webhook.o1.ep1')).toBe(true);
    expect(matches('moe.webhook.>', 'moe.webhook')).toBe(false);
    expect(matches('moe.api.*.*.search', 'moe.api.o1.w1.search')).toBe(true);
    expect(matches('moe.api.*.*.search', 'moe.api.o1.search')).toBe(false);
  });
});
