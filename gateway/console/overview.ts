/**
 * Everything one console page shows, for one viewer, with names: nodes and workspaces (from the
 * supervisor, narrowed to the viewer's orgs), stopped actors, tasks by phase, costs, dead letters, streams
 * (operators only) and the audit log. The same document feeds `GET /console/api/overview` and
 * each message of the live stream (`/console/api/events`).
 */
import { TENANCY_WS } from '../../schemas/index.js';
import type { Bus } from '../bus.js';
import type { TenancyProjection } from '../projection.js';
import type { UsageProjection } from '../usageProjection.js';
import { parseTaskId } from '../crypto.js';
import { auditLog, type AuditEntry } from './audit.js';
import type { ClusterSource } from './clusterSource.js';
import { costsOf, type Costs } from './costs.js';
import { providersOf, type ProviderRow } from './providers.js';
import { queuedTasks, type QueuedTask } from './queuedTasks.js';
import type { ConsoleSeries } from './series.js';
import type { DeadLetterDesk, LetterRow } from './deadLetterDesk.js';
import type { ConsoleViewer } from './identity.js';
import { splitPlacementKey, type Names } from './names.js';
import { streamStats, type StreamStat } from './streamStats.js';
import type { SessionIndex, SessionRow } from './sessionIndex.js';
import type { StoppedActorDesk } from './stoppedActors.js';
import type { TaskIndex, TaskRow } from './taskIndex.js';
import { sessionState, workspaceActors, type WorkspaceActors } from './workspaceActors.js';

export interface ConsoleDeps {
  readonly bus: Bus;
  readonly tenancy: TenancyProjection;
  readonly usage: UsageProjection;
  readonly names: Names;
  readonly cluster: ClusterSource;
  readonly tasks: TaskIndex;
  readonly series: ConsoleSeries;
  readonly sessions: SessionIndex;
  readonly letters: DeadLetterDesk;
  readonly stopped: StoppedActorDesk;
}

const named = (names: Names, org: string, ws: string) => ({
  org,
  orgName: names.org(org),
  ws,
  wsName: names.workspace(ws),
});

export async function overview(d: ConsoleDeps, viewer: ConsoleViewer, now = Date.now()) {
  const { names } = d;
  const orgs = viewer.orgs();
  const sees = (org: string) => viewer.role(org) !== undefined;
  const seesKey = (key: string) => {
    const w = splitPlacementKey(key);
    return w !== null && sees(w.org) && (viewer.operator || w.ws !== TENANCY_WS);
  };
  const cluster = await d.cluster.read();
  const nodes = cluster.ok
    ? cluster.status.nodes
        .map((n) => ({ ...n, workspaces: n.workspaces.filter(seesKey) }))
        .filter((n) => viewer.operator || n.workspaces.length > 0)
        .map((n) => ({
          ...n,
          // provider health is platform data (the Providers view): operators only
          stats: n.stats ? (viewer.operator ? n.stats : { ...n.stats, providers: [] }) : null,
          /** the backlog of the workspaces it hosts (that the viewer sees) */
          backlog: n.workspaces.reduce<number | null>((sum, k) => {
            const b = cluster.status.workspaces.find((w) => w.workspace === k)?.backlog;
            return b === null || b === undefined ? sum : (sum ?? 0) + b;
          }, null),
          workspaces: n.workspaces.map((k) => {
            const w = splitPlacementKey(k)!;
            return { key: k, ...named(names, w.org, w.ws) };
          }),
        }))
    : [];
  const workspaces = cluster.ok
    ? cluster.status.workspaces
        .filter((w) => seesKey(w.workspace))
        .map((w) => {
          const where = splitPlacementKey(w.workspace)!;
          return { ...w, ...named(names, where.org, where.ws) };
        })
    : [];
  // every workspace of the tenancy projection the viewer sees, also those no node reports yet
  const known = new Set(workspaces.map((w) => w.workspace));
  for (const ws of d.tenancy.workspaces.values())
    if (sees(ws.org) && !known.has(`${ws.org}.${ws.id}`))
      workspaces.push({
        workspace: `${ws.org}.${ws.id}`,
        holder: null,
        holderLive: false,
        epoch: null,
        leaseRemainingMs: null,
        lease: null,
        backlog: null,
        backup: null,
        ...named(names, ws.org, ws.id),
      });
  workspaces.sort((a, b) => a.orgName.localeCompare(b.orgName) || a.wsName.localeCompare(b.wsName));

  const tasks: (TaskRow & { orgName: string; wsName: string; projectName: string; canDecide: boolean })[] =
    [];
  const sessions: (SessionRow & { orgName: string; wsName: string; userName: string | null })[] = [];
  const actorsByWs = new Map<string, WorkspaceActors>();
  const queued: (QueuedTask & { orgName: string; wsName: string; projectName: string; ageMs: number })[] = [];
  for (const ws of d.tenancy.workspaces.values()) {
    if (!sees(ws.org)) continue;
    const [agents, coordinators, wsSessions] = await Promise.all([
      d.tasks.list(ws.org, ws.id, 'agent'),
      d.tasks.list(ws.org, ws.id, 'coordinator'),
      d.sessions.list(ws.org, ws.id),
    ]);
    actorsByWs.set(`${ws.org}.${ws.id}`, workspaceActors(agents, coordinators, wsSessions, now));
    const known = new Set([...agents, ...coordinators].map((t) => `${t.kind}.${t.id}`));
    for (const q of await queuedTasks(d.bus, ws.org, ws.id, (kind, id) => known.has(`${kind}.${id}`)))
      queued.push({
        ...q,
        ...named(names, q.org, q.ws),
        projectName: names.project(parseTaskId(q.id)?.project ?? null),
        ageMs: Math.max(0, now - q.at),
      });
    for (const t of [...agents, ...coordinators])
      tasks.push({
        ...t,
        orgName: names.org(t.org),
        wsName: names.workspace(t.ws),
        projectName: names.project(t.project),
        canDecide: viewer.may(t.org, 'member'),
      });
    for (const x of wsSessions)
      sessions.push({
        ...x,
        state: sessionState(x, now),
        ...named(names, x.org, x.ws),
        userName: x.user === null ? null : (d.tenancy.users.get(x.user)?.email ?? x.user),
      });
  }
  tasks.sort((a, b) => b.seq - a.seq);
  sessions.sort((a, b) => b.seq - a.seq);
  const withActors = workspaces.map((w) => ({ ...w, actors: actorsByWs.get(w.workspace) ?? null }));

  const letters = await d.letters.list(sees);
  const deadLetters = {
    total: viewer.operator ? letters.total : letters.letters.length,
    letters: letters.letters.map((l: LetterRow) => ({
      ...l,
      ...named(names, l.org, l.ws),
      canAct: viewer.may(l.org, 'admin'),
    })),
  };
  const stoppedActors = (await d.stopped.list(sees)).map((a) => ({
    ...a,
    ...named(names, a.org, a.ws),
    canRestart: viewer.may(a.org, 'admin'),
  }));
  const costs: Costs = costsOf(d.usage, d.tenancy, names, orgs, now);
  const charts = d.series.charts(orgs, viewer.operator);
  const providers: ProviderRow[] | null =
    viewer.operator && cluster.ok ? providersOf(cluster.status.nodes) : null;
  const streams: StreamStat[] | null = viewer.operator ? await streamStats(d.bus) : null;
  const audit: (AuditEntry & { orgName: string })[] = [];
  for (const org of orgs)
    for (const a of await auditLog(d.bus, org)) audit.push({ ...a, orgName: names.org(org) });
  audit.sort((a, b) => b.at - a.at);

  return {
    at: now,
    viewer: {
      name: viewer.name,
      operator: viewer.operator,
      orgs: orgs.map((o) => ({ org: o, name: names.org(o), role: viewer.role(o) })),
    },
    cluster: cluster.ok
      ? {
          ok: true as const,
          supervisor: cluster.status.supervisor.id,
          staleMs: cluster.status.supervisor.staleMs,
          deadNodeTtlMs: cluster.status.supervisor.deadNodeTtlMs,
        }
      : { ok: false as const, why: cluster.why },
    nodes,
    workspaces: withActors,
    /** actors a restart policy stopped (their commands are dead-lettered until restarted) */
    stoppedActors,
    sessions: sessions.slice(0, 100),
    tasks: {
      running: tasks.filter((t) => t.phase === 'running'),
      waiting: tasks.filter((t) => t.phase === 'waiting'),
      recent: tasks.filter((t) => t.phase === 'done' || t.phase === 'failed').slice(0, 50),
      /** task.submit commands stored but not yet applied, oldest first */
      queued: queued.sort((a, b) => a.seq - b.seq).slice(0, 100),
      /** commands not yet applied, all kinds, over the workspaces the viewer sees */
      backlog: workspaces.reduce((n, w) => n + (w.backlog ?? 0), 0),
    },
    costs,
    charts,
    providers,
    deadLetters,
    streams,
    audit: audit.slice(0, 50),
  };
}

export type Overview = Awaited<ReturnType<typeof overview>>;
