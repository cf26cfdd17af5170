/**
 * The tenancy projection: an in-memory view of users, orgs, members, teams, workspaces, projects and
 * API keys for fast auth and tenant checks. Built only from journaled records (a journal follower
 * over `moe.evt.*._tenancy.>` from the start), so it is stateless: a restarted gateway rebuilds it.
 * Commands the gateway sends to tenancy actors are awaited here ({@link TenancyProjection.waitFor}),
 * which gives read-your-writes: when the route answers, the projection already shows the change.
 * Records of commands sent with an Idempotency-Key are kept ({@link TenancyProjection.applied}), so
 * a retried request finds the outcome of the first one.
 *
 * Not snapshotted: the tenancy actors live in the `_tenancy` pseudo-workspace, whose journal the
 * node never purges (only real workspaces' journals are purged, behind verified backups). Should its turns go missing anyway, the fold notices (turn numbers skip, see
 * journalGap.ts) and says so: {@link TenancyProjection.incomplete}, `/readyz`, a coded log line.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import {
  TENANCY_WS,
  emittedBy,
  validEvents,
  type AgentConfig,
  type LaneWorkflows,
  type JournalRecord,
  type KnownEvent,
  type OrgRole,
  type PasswordHash,
} from '../schemas/index.js';
import { errors } from './errors.js';
import { isIdempotentCommandId } from './idempotency.js';
import { followJournal, type JournalFollower } from './journalFollower.js';
import { journalGap, logJournalGap, type JournalGap } from './journalGap.js';

export interface UserView {
  id: string;
  email: string;
  name: string;
  password: PasswordHash;
}
export interface OrgView {
  id: string;
  name: string;
  createdAt: number;
  members: Map<string, OrgRole>;
}
export interface TeamView {
  id: string;
  org: string;
  name: string;
  members: Set<string>;
  createdBy: string;
}
export interface WorkspaceView {
  id: string;
  org: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: number;
}
export interface ProjectView {
  id: string;
  org: string;
  workspace: string;
  name: string;
  description: string;
  users: Set<string>;
  teams: Set<string>;
  agents: AgentConfig[];
  /** lane id → workflow (seed 002 agent-config) */
  workflows: LaneWorkflows;
  createdBy: string;
  createdAt: number;
}
export interface ApiKeyView {
  id: string;
  org: string;
  name: string;
  hash: string;
  role: OrgRole;
  project: string | null;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  revoked: boolean;
  /** a platform operator's key (platformOperators.ts) */
  platformOperator: boolean;
}

type Waiter = { resolve: (rec: JournalRecord) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

export class TenancyProjection {
  readonly users = new Map<string, UserView>();
  readonly usersByEmail = new Map<string, string>();
  readonly orgs = new Map<string, OrgView>();
  /** members recorded before their org's `org.created` (two actors, no order between them) */
  private readonly pendingMembers = new Map<string, Map<string, OrgRole>>();
  readonly teams = new Map<string, TeamView>();
  readonly workspaces = new Map<string, WorkspaceView>();
  readonly projects = new Map<string, ProjectView>();
  readonly apiKeys = new Map<string, ApiKeyView>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly idempotent = new Map<string, JournalRecord>();
  private follower: JournalFollower | null = null;
  /** the last turn applied per actor (`<kind>.<id>` of an org): how missing turns are noticed */
  private readonly turns = new Map<string, number>();
  private gap: JournalGap | null = null;

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: FastifyBaseLogger,
  ) {}

  get ready(): boolean {
    return this.follower?.caughtUp ?? false;
  }

  /** The first missing turn found (null: every tenancy turn was applied). */
  get incomplete(): JournalGap | null {
    return this.gap;
  }

  /** MOE_EVT sequence of the last tenancy entry applied (0: none). */
  get lastSeq(): number {
    return this.follower?.lastSeq ?? 0;
  }

  /** Starts following; resolves once the records present at start are applied (or after `maxWaitMs`). */
  async start(maxWaitMs = 10_000): Promise<void> {
    this.follower ??= followJournal(
      this.js,
      `moe.evt.*.${TENANCY_WS}.>`,
      (seq, rec) => this.apply(rec, seq),
      this.log,
    );
    await this.follower.started(maxWaitMs);
  }

  async stop(): Promise<void> {
    for (const [id, list] of this.waiters) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(errors.NOT_READY('gateway stopping'));
      }
      this.waiters.delete(id);
    }
    await this.follower?.stop();
  }

  /** Resolves with the record of command `cmdId` once applied here. Register before publishing. */
  waitFor(cmdId: string, timeoutMs: number): Promise<JournalRecord> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.dropWaiter(cmdId, w);
          reject(errors.TIMEOUT(`no journal turn for command ${cmdId}`));
        }, timeoutMs),
      };
      this.waiters.set(cmdId, [...(this.waiters.get(cmdId) ?? []), w]);
    });
  }

  /** Drops every waiter of `cmdId` (their promises stay pending: callers stop awaiting them). */
  cancelWait(cmdId: string): void {
    for (const w of this.waiters.get(cmdId) ?? []) clearTimeout(w.timer);
    this.waiters.delete(cmdId);
  }

  /** The record of an already applied command sent with an Idempotency-Key, if any. */
  applied(cmdId: string): JournalRecord | undefined {
    return this.idempotent.get(cmdId);
  }

  private dropWaiter(cmdId: string, w: Waiter): void {
    const rest = (this.waiters.get(cmdId) ?? []).filter((x) => x !== w);
    if (rest.length > 0) this.waiters.set(cmdId, rest);
    else this.waiters.delete(cmdId);
  }

  /** Applies one turn (exported for tests: the projection is a pure fold over turns). */
  apply(rec: JournalRecord, seq = 0): void {
    const { org, kind, id } = rec.actor;
    this.checkContinuity(rec, seq);
    const events = validEvents(rec.events, (err) =>
      this.log.warn({ err, cmd: rec.cmd.id }, 'tenancy projection skipped an invalid event'),
    );
    for (const e of events) if (emittedBy(kind, e.type)) this.applyEvent(org, id, e, rec.cmd.at);
    if (isIdempotentCommandId(rec.cmd.id)) this.idempotent.set(rec.cmd.id, rec);
    const list = this.waiters.get(rec.cmd.id);
    this.waiters.delete(rec.cmd.id);
    for (const w of list ?? []) {
      clearTimeout(w.timer);
      w.resolve(rec);
    }
  }

  private checkContinuity(rec: JournalRecord, seq: number): void {
    const key = `${rec.actor.org}.${rec.actor.kind}.${rec.actor.id}`;
    const last = this.turns.get(key) ?? 0;
    this.turns.set(key, Math.max(last, rec.turn));
    if (this.gap || rec.turn <= last + 1) return;
    this.gap = journalGap('tenancy', seq, rec, last === 0 ? null : last);
    logJournalGap(this.log, 'tenancy', this.gap);
  }

  /** One event of actor `id` of `org` (its kind emits it); `at` is the time of the turn's command. */
  private applyEvent(org: string, id: string, e: KnownEvent, at: number): void {
    switch (e.type) {
      case 'user.registered': {
        const email = e.email.trim().toLowerCase();
        this.users.set(id, { id, email, name: e.name, password: e.password });
        this.usersByEmail.set(email, id);
        return;
      }
      case 'user.password.changed': {
        const u = this.users.get(id);
        if (u) u.password = e.password;
        return;
      }
      case 'org.created': {
        const members = this.pendingMembers.get(org) ?? new Map<string, OrgRole>();
        this.pendingMembers.delete(org);
        // journals written before org.created carried createdAt: the time of the org.create command
        this.orgs.set(org, { id: org, name: e.name, createdAt: e.createdAt ?? at, members });
        return;
      }
      case 'member.added':
      case 'member.role.changed':
        this.membersOf(org).set(e.user, e.role);
        return;
      case 'member.removed': {
        const user = e.user;
        this.membersOf(org).delete(user);
        for (const t of this.teams.values()) if (t.org === org) t.members.delete(user);
        for (const p of this.projects.values()) if (p.org === org) p.users.delete(user);
        return;
      }
      case 'team.created':
        this.teams.set(id, { id, org, name: e.name, members: new Set(), createdBy: e.createdBy });
        return;
      case 'team.member.added':
        this.teams.get(id)?.members.add(e.user);
        return;
      case 'team.member.removed':
        this.teams.get(id)?.members.delete(e.user);
        return;
      case 'team.deleted':
        this.teams.delete(id);
        for (const p of this.projects.values()) p.teams.delete(id);
        return;
      case 'workspace.created':
        this.workspaces.set(id, {
          id,
          org,
          name: e.name,
          description: e.description,
          createdBy: e.createdBy,
          createdAt: e.createdAt,
        });
        return;
      case 'workspace.updated': {
        const w = this.workspaces.get(id);
        if (w) Object.assign(w, { name: e.name, description: e.description });
        return;
      }
      case 'workspace.deleted':
        this.workspaces.delete(id);
        for (const [pid, p] of this.projects) if (p.workspace === id) this.projects.delete(pid);
        return;
      case 'project.created':
        this.projects.set(id, {
          id,
          org,
          workspace: e.workspace,
          name: e.name,
          description: e.description,
          users: new Set(),
          teams: new Set(),
          agents: [],
          workflows: {},
          createdBy: e.createdBy,
          createdAt: e.createdAt,
        });
        return;
      case 'project.updated': {
        const p = this.projects.get(id);
        if (p) Object.assign(p, { name: e.name, description: e.description });
        return;
      }
      case 'project.access.changed': {
        const p = this.projects.get(id);
        if (p) Object.assign(p, { users: new Set(e.users), teams: new Set(e.teams) });
        return;
      }
      case 'project.agents.changed': {
        const p = this.projects.get(id);
        if (p) Object.assign(p, { agents: e.agents, ...(e.workflows ? { workflows: e.workflows } : {}) });
        return;
      }
      case 'project.deleted':
        this.projects.delete(id);
        return;
      case 'apikey.created':
        this.apiKeys.set(id, {
          id,
          org,
          name: e.name,
          hash: e.hash,
          role: e.role,
          project: e.project,
          createdBy: e.createdBy,
          createdAt: e.createdAt,
          lastUsedAt: null,
          revoked: false,
          platformOperator: e.platformOperator === true,
        });
        return;
      case 'apikey.used': {
        const k = this.apiKeys.get(id);
        if (k) k.lastUsedAt = e.at;
        return;
      }
      case 'apikey.revoked': {
        const k = this.apiKeys.get(id);
        if (k) k.revoked = true;
        return;
      }
      default:
        return;
    }
  }

  private membersOf(org: string): Map<string, OrgRole> {
    const o = this.orgs.get(org);
    if (o) return o.members;
    let pending = this.pendingMembers.get(org);
    if (!pending) this.pendingMembers.set(org, (pending = new Map<string, OrgRole>()));
    return pending;
  }
}
