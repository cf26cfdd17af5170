/**
 * Who may publish and subscribe to what on the bus, per credential. An org's credential is confined
 * to its own subjects; each platform service gets only what its code uses. nats-server 2.9 enforces
 * these lists on every PUB and SUB: a violation is refused with a permissions error (and never
 * reaches a stream). The subject grammar is docs/subjects.md's.
 *
 * Why no `$JS.API` for an org: a JetStream publish is a plain publish with a reply subject (the
 * PubAck comes back to the org's own inbox), and on 2.9 a consumer-create request carries its
 * filter in the payload, so no subject permission could confine a consumer to one org. Reading the
 * journal from a sequence goes through the replay service (`moe.api.<org>.replay`) instead.
 */
import { TENANCY_WS } from '../../schemas/index.js';

export interface SubjectPermissions {
  readonly pub: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly sub: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  /** may answer requests sent to it (one reply each, within 2 minutes) without a pub allow for the inbox */
  readonly responses?: boolean;
}

/** The inbox prefix an org's client must use (`inboxPrefix` connect option): `_INBOX_<org>`. */
export function orgInboxPrefix(org: string): string {
  return `_INBOX_${org}`;
}

export function orgPermissions(org: string): SubjectPermissions {
  return {
    pub: {
      allow: [`moe.cmd.${org}.>`, `moe.api.${org}.>`],
      deny: [`moe.cmd.${org}.${TENANCY_WS}.>`],
    },
    sub: { allow: [`moe.evt.${org}.>`, `moe.live.${org}.>`, `moe.dlq.${org}.>`, `${orgInboxPrefix(org)}.>`] },
  };
}

/** JetStream, KV and inbox subjects every platform service uses through the client libraries. */
const PLATFORM_JS = ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$KV.>', '_INBOX.>'];

export type ServiceName = 'node' | 'gateway' | 'supervisor';

export const SERVICE_NAMES: readonly ServiceName[] = ['node', 'gateway', 'supervisor'];

/**
 * - node: hosts actors: reads commands, appends the journal (`moe.evt`), dead letters, live
 *   deltas, and sends commands between actors (also to tenancy actors, e.g. workspace teardown).
 * - gateway: the only writer of tenancy commands from outside (REST), reads every journal, hosts
 *   the replay service (answers on the org's inbox), never writes the journal.
 * - supervisor: membership and placement KV, asks nodes to hand workspaces over (`moe.ctl`, the
 *   rebalancer), reads commands and events; never writes a tenancy actor or the journal.
 */
export function servicePermissions(service: ServiceName): SubjectPermissions {
  switch (service) {
    case 'node':
      return {
        pub: { allow: ['moe.>', ...PLATFORM_JS] },
        sub: { allow: ['moe.>', ...PLATFORM_JS] },
        responses: true,
      };
    case 'gateway':
      return {
        // moe.api.*.*.search: GET /api/workspaces/:id/search asks the hosting node (schemas/search.ts);
        // moe.api.*.*.billing.draft: GET /api/workspaces/:id/billing asks it for the period so far;
        // moe.webhook.>: the webhook service queues its deliveries (gateway/webhooks/);
        // moe.console.series: the console's chart samples (gateway/console/seriesStore.ts)
        pub: {
          allow: [
            'moe.cmd.>',
            'moe.dlq.>',
            'moe.api.*.*.search',
            'moe.api.*.*.billing.draft',
            'moe.webhook.>',
            'moe.console.series',
            ...PLATFORM_JS,
          ],
        },
        sub: { allow: ['moe.>', ...PLATFORM_JS] },
        responses: true,
      };
    case 'supervisor':
      return {
        pub: {
          // moe.ctl: the rebalancer asks nodes to hand workspaces over (drain.ts);
          // moe.ops: restart-policy escalations (supervisor/actorSupervision.ts)
          allow: ['moe.cmd.>', 'moe.dlq.>', 'moe.ctl.>', 'moe.ops.>', ...PLATFORM_JS],
          deny: [`moe.cmd.*.${TENANCY_WS}.>`],
        },
        sub: { allow: ['moe.>', ...PLATFORM_JS] },
        responses: true,
      };
  }
}

/** The `nats` section of a user JWT for these permissions. */
export function userClaims(p: SubjectPermissions): Record<string, unknown> & { type: 'user' } {
  return {
    type: 'user',
    pub: { allow: [...p.pub.allow], ...(p.pub.deny ? { deny: [...p.pub.deny] } : {}) },
    sub: { allow: [...p.sub.allow], ...(p.sub.deny ? { deny: [...p.sub.deny] } : {}) },
    ...(p.responses ? { resp: { max: 1, ttl: 0 } } : {}),
    subs: -1,
    data: -1,
    payload: -1,
  };
}
