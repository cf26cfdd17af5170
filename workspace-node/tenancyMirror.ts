/**
 * The tenancy facts a workspace's `workspace.db` keeps (workspaceDb.ts): its config (name,
 * description, who created it and when) and its org's members with their roles. The node reads
 * them from the org's tenancy journal (`moe.evt.<org>._tenancy.>`, from the start, following) —
 * one reader per org however many of its workspaces the node hosts — and writes them into each
 * hosted workspace's `workspace.db`: the whole picture when the workspace is attached, then every
 * change. Tenancy stays the truth (the gateway's projection); this is the workspace's own copy, so
 * a backup carries who could use it and what it was called.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { JournalReader } from '../actors/kernel/index.js';
import { emittedBy, TENANCY_WS, validEvents, type JournalRecord, type OrgRole } from '../schemas/index.js';
import type { WorkspaceConfig, WorkspaceMetadata } from './workspaceDb.js';

interface OrgMirror {
  readonly reader: JournalReader;
  readonly members: Map<string, { role: OrgRole; at: number }>;
  readonly configs: Map<string, WorkspaceConfig>;
  /** ws → the hosted workspace's metadata */
  readonly attached: Map<string, WorkspaceMetadata>;
}

export class TenancyMirror {
  private readonly orgs = new Map<string, OrgMirror>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
  ) {}

  /** Keeps `metadata` (workspace `ws` of `org`) current until the returned function is called. */
  attach(org: string, ws: string, metadata: WorkspaceMetadata): () => void {
    if (ws === TENANCY_WS) return () => {};
    const o = this.orgs.get(org) ?? this.open(org);
    o.attached.set(ws, metadata);
    this.write(org, ws, metadata, (m) => {
      m.replaceMembers([...o.members].map(([user, v]) => ({ user, ...v })));
      const config = o.configs.get(ws);
      if (config) m.config(config);
    });
    return () => {
      if (o.attached.get(ws) !== metadata) return;
      o.attached.delete(ws);
      if (o.attached.size === 0 && this.orgs.get(org) === o) {
        this.orgs.delete(org);
        void o.reader.close().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    const all = [...this.orgs.values()];
    this.orgs.clear();
    await Promise.all(all.map((o) => o.reader.close().catch(() => undefined)));
  }

  private open(org: string): OrgMirror {
    const reader = new JournalReader(this.js, {
      filter: `moe.evt.${org}.${TENANCY_WS}.>`,
      start: { afterSeq: 0 },
      follow: true,
      onUnreadable: (err, seq) =>
        this.log.warn({ err, seq, org }, 'tenancy mirror skipped an unreadable entry'),
    });
    const o: OrgMirror = { reader, members: new Map(), configs: new Map(), attached: new Map() };
    this.orgs.set(org, o);
    void (async () => {
      for await (const { rec } of reader.turns()) this.apply(org, o, rec);
    })().catch((err: unknown) => this.log.warn({ err, org }, 'tenancy mirror stopped'));
    return o;
  }

  private apply(org: string, o: OrgMirror, rec: JournalRecord): void {
    const at = rec.cmd.at;
    for (const e of validEvents(rec.events)) {
      if (!emittedBy(rec.actor.kind, e.type)) continue;
      if (e.type === 'member.added' || e.type === 'member.role.changed') {
        o.members.set(e.user, { role: e.role, at });
        for (const [ws, m] of o.attached) this.write(org, ws, m, (x) => x.member(e.user, e.role, at));
      } else if (e.type === 'member.removed') {
        o.members.delete(e.user);
        for (const [ws, m] of o.attached) this.write(org, ws, m, (x) => x.member(e.user, null, at));
      } else if (e.type === 'workspace.created' || e.type === 'workspace.updated') {
        const ws = rec.actor.id;
        const before = o.configs.get(ws);
        const config: WorkspaceConfig = {
          name: e.name,
          description: e.description,
          createdBy: e.type === 'workspace.created' ? e.createdBy : (before?.createdBy ?? ''),
          createdAt: e.type === 'workspace.created' ? e.createdAt : (before?.createdAt ?? 0),
        };
        o.configs.set(ws, config);
        const m = o.attached.get(ws);
        if (m) this.write(org, ws, m, (x) => x.config(config));
      }
    }
  }

  /** A write to a workspace.db never stops the mirror (a workspace stopping, a busy database). */
  private write(org: string, ws: string, m: WorkspaceMetadata, f: (m: WorkspaceMetadata) => void): void {
    try {
      f(m);
    } catch (err) {
      this.log.warn({ err, org, ws }, 'could not write tenancy facts to workspace.db');
    }
  }
}
