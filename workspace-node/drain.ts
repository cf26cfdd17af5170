/**
 * Drain and targeted release of a node's workspaces (docs/operations.md, Placement). A drained
 * node hands every workspace over and takes no new one until it is undrained or restarted; a
 * release (the supervisor's rebalancer) hands over the named workspaces, reserved for one node.
 *
 * One hand-over (node.ts `handOver`, WorkspaceHost.handOver): commands that start new work go back
 * to the stream, the effects already started finish here and their outcomes get their turns, the
 * lease's release is written to workspace.db, the workspace closes and its lease is released (or
 * reserved for the target). Another node takes it on its next heartbeat (every second); the nak'ed
 * commands are delivered to it.
 *
 * Control: core NATS requests on `moe.ctl.node.<id>.drain|undrain|release` (schemas/nodeControl.ts);
 * replies are immediate, progress is the heartbeat's `draining` and `workspaces`.
 *
 *   MOE_DRAIN_TIMEOUT_MS  30000  how long one hand-over waits for started effects to finish
 *   MOE_DRAIN_PARALLEL    4      workspaces handed over at once by a drain
 *   MOE_DRAIN_DEADLINE_MS 45000  how long a shutdown drain (SIGTERM) may take before the node stops
 *                                anyway (what is left is closed by stop; its lease lapses)
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { nodeControlSubject, type NodeControlReply, type NodeReleaseRequest } from '../schemas/index.js';
import { errors } from './errors.js';

export interface DrainConfig {
  /** ms one hand-over waits for the workspace's started effects to finish */
  readonly timeoutMs: number;
  /** workspaces handed over at once by a drain */
  readonly parallel: number;
  /** ms a shutdown drain may take in all before the node stops anyway */
  readonly deadlineMs: number;
}

function int(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw errors.CONFIG(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function drainConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DrainConfig {
  return {
    timeoutMs: int('MOE_DRAIN_TIMEOUT_MS', env.MOE_DRAIN_TIMEOUT_MS, 30_000, 0),
    parallel: int('MOE_DRAIN_PARALLEL', env.MOE_DRAIN_PARALLEL, 4, 1),
    deadlineMs: int('MOE_DRAIN_DEADLINE_MS', env.MOE_DRAIN_DEADLINE_MS, 45_000, 0),
  };
}

/** What one hand-over took. */
export interface HandOverResult {
  readonly workspace: string;
  /** from the start of the hand-over to the lease's release */
  readonly ms: number;
  /** false: the timeout ran out with effects still running (the next host re-drives them) */
  readonly quiet: boolean;
  readonly to?: string;
}

/** What the drain needs from its node. */
export interface DrainHost {
  readonly nodeId: string;
  /** `org.ws` of every workspace hosted now */
  hosted(): string[];
  /** hands one workspace over (null: not hosted here, or already being handed over) */
  handOver(workspace: string, to?: string): Promise<HandOverResult | null>;
}

export class NodeDrain {
  private drainingSince: number | null = null;
  private run: Promise<void> = Promise.resolve();
  private readonly subs: Subscription[] = [];
  /** hand-overs done by this node (drains and releases) */
  readonly handOvers: HandOverResult[] = [];

  constructor(
    private readonly host: DrainHost,
    private readonly config: DrainConfig,
    private readonly log: Logger,
  ) {}

  /** Set from the first drain until an undrain: no new workspace is taken. */
  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** Hands every workspace over, `parallel` at a time; resolves when none is left (or undrained). */
  drain(): Promise<void> {
    if (this.drainingSince !== null) return this.run;
    const since = Date.now();
    this.drainingSince = since;
    this.log.info({ node: this.host.nodeId, workspaces: this.host.hosted().length }, 'draining');
    this.run = (async () => {
      for (;;) {
        if (this.drainingSince !== since) return;
        const batch = this.host.hosted().slice(0, this.config.parallel);
        if (batch.length === 0) break;
        const done = await Promise.all(batch.map((ws) => this.handOver(ws)));
        // all of them already being handed over (a release): wait for those
        if (done.every((d) => d === null)) await new Promise((r) => setTimeout(r, 50));
      }
      this.log.info({ node: this.host.nodeId, ms: Date.now() - since }, 'drained');
    })();
    return this.run;
  }

  undrain(): void {
    if (this.drainingSince === null) return;
    this.drainingSince = null;
    this.log.info({ node: this.host.nodeId }, 'undrained');
  }

  /** Hands the named workspaces over, reserved for `to` when given; returns the ones started. */
  release(req: NodeReleaseRequest): string[] {
    if (this.draining) return [];
    const hosted = new Set(this.host.hosted());
    const accepted = req.workspaces.filter((ws) => hosted.has(ws));
    for (const ws of accepted) void this.handOver(ws, req.to);
    return accepted;
  }

  private async handOver(ws: string, to?: string): Promise<HandOverResult | null> {
    try {
      const r = await this.host.handOver(ws, to);
      if (r) {
        this.handOvers.push(r);
        this.log.info({ ...r, node: this.host.nodeId }, 'workspace handed over');
      }
      return r;
    } catch (err) {
      this.log.error({ err, workspace: ws }, 'hand-over failed');
      return null;
    }
  }

  /** Answers `moe.ctl.node.<id>.*` requests. */
  serve(nc: NatsConnection): void {
    const reply = (accepted?: string[]): NodeControlReply => ({
      node: this.host.nodeId,
      draining: this.draining,
      workspaces: this.host.hosted(),
      ...(accepted ? { accepted } : {}),
    });
    const on = (verb: 'drain' | 'undrain' | 'release', handle: (data: unknown) => string[] | undefined) =>
      this.subs.push(
        nc.subscribe(nodeControlSubject(this.host.nodeId, verb), {
          callback: (err, m) => {
            if (err) return;
            let data: unknown;
            try {
              data = m.data.length ? m.json() : {};
            } catch {
              data = {};
            }
            const before = reply();
            const accepted = handle(data);
            m.respond(JSON.stringify(accepted ? { ...before, accepted, draining: this.draining } : reply()));
          },
        }),
      );
    on('drain', () => {
      void this.drain();
      return undefined;
    });
    on('undrain', () => {
      this.undrain();
      return undefined;
    });
    on('release', (data) => {
      const d = (data ?? {}) as Partial<NodeReleaseRequest>;
      const workspaces = Array.isArray(d.workspaces)
        ? d.workspaces.filter((w): w is string => typeof w === 'string')
        : [];
      return this.release({ workspaces, ...(typeof d.to === 'string' ? { to: d.to } : {}) });
    });
  }

  /** Stops answering control requests. */
  close(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }
}
