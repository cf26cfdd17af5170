/**
 * The cluster half of the console (nodes, leases, backlogs) comes from the supervisor, which owns
 * membership: the console reads its `/api/status` with the operator token (`MOE_SUPERVISOR_URL`,
 * `MOE_OPERATOR_TOKEN`). Only the fields the console shows are typed here (the gateway does not
 * import the supervisor; the JSON is the contract, documented in docs/operations.md). Without a
 * supervisor URL, or while it does not answer, the console says so instead of showing nodes.
 */

import type { NodeLiveStats } from '../../schemas/index.js';

export interface ClusterNode {
  readonly id: string;
  readonly state: 'live' | 'suspect' | 'dead';
  readonly ageMs: number;
  readonly workspaces: readonly string[];
  readonly degraded: readonly string[];
  readonly draining: boolean;
  /** turns/s, turn latency p50/p99, memory and providers from its heartbeat (null: none) */
  readonly stats?: NodeLiveStats | null;
}

export interface ClusterWorkspace {
  /** `<org>.<ws>` */
  readonly workspace: string;
  readonly holder: string | null;
  readonly holderLive: boolean;
  readonly epoch: number | null;
  readonly leaseRemainingMs: number | null;
  readonly lease: 'held' | 'expired' | 'released' | null;
  readonly backlog: number | null;
  readonly backup: { readonly ageMs: number | null } | null;
}

export interface ClusterStatus {
  readonly supervisor: { readonly id: string; readonly staleMs: number; readonly deadNodeTtlMs: number };
  readonly nodes: readonly ClusterNode[];
  readonly workspaces: readonly ClusterWorkspace[];
}

export type ClusterView =
  { readonly ok: true; readonly status: ClusterStatus } | { readonly ok: false; readonly why: string };

export interface ClusterSource {
  read(): Promise<ClusterView>;
}

/** Reads the supervisor's status; at most one request in flight, answers within `timeoutMs`. */
export function supervisorSource(url: string | null, token: string | null, timeoutMs = 2000): ClusterSource {
  let inFlight: Promise<ClusterView> | null = null;
  const fetchOnce = async (): Promise<ClusterView> => {
    if (url === null) return { ok: false, why: 'no supervisor configured (MOE_SUPERVISOR_URL)' };
    try {
      const res = await fetch(new URL('api/status', url.endsWith('/') ? url : `${url}/`), {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) return { ok: false, why: `supervisor answered ${res.status}` };
      return { ok: true, status: (await res.json()) as ClusterStatus };
    } catch (err) {
      return { ok: false, why: `supervisor unreachable: ${(err as Error).message}` };
    }
  };
  return {
    read() {
      inFlight ??= fetchOnce().finally(() => (inFlight = null));
      return inFlight;
    },
  };
}
