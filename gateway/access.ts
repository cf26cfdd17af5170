/**
 * Who is calling and what they may touch. A principal is a user (JWT) or an API key (scoped to one
 * org, optionally one project, with a role). Every check answers 404 when the caller has no
 * access at all (another tenant's ids do not leak existence) and 403 when it can see the resource
 * but its role is too low.
 *
 * An API key acts for the user who created it and never outgrows them: its role is the lower of
 * the key's role and its creator's *current* role in the org (read from the tenancy projection on
 * every check, so a demotion caps the key at once), and it sees the projects its creator sees
 * now, narrowed to its one project when it is project-scoped. A key whose creator left the org
 * has no role at all (authentication refuses it with 401).
 */
import type { OrgRole } from '../schemas/index.js';
import { errors } from './errors.js';
import type { Principal } from './principal.js';
import type { ProjectView, TenancyProjection, WorkspaceView } from './projection.js';

export type { Principal } from './principal.js';

const RANK: Record<OrgRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

export function atLeast(role: OrgRole, min: OrgRole): boolean {
  return RANK[role] >= RANK[min];
}

/** The lower of two roles. */
export function lowerRole(a: OrgRole, b: OrgRole): OrgRole {
  return RANK[a] <= RANK[b] ? a : b;
}

export class Access {
  constructor(private readonly tenancy: TenancyProjection) {}

  /** The caller's role in `org`, or undefined when it is not a member (or the key is of another org). */
  orgRole(p: Principal, org: string): OrgRole | undefined {
    const userRole = this.tenancy.orgs.get(org)?.members.get(p.userId);
    if (p.kind === 'apikey') return p.org === org && userRole ? lowerRole(p.role, userRole) : undefined;
    return userRole;
  }

  /** Orgs the caller belongs to, with its role. */
  orgsOf(p: Principal): { org: string; role: OrgRole }[] {
    const out: { org: string; role: OrgRole }[] = [];
    for (const org of this.tenancy.orgs.keys()) {
      const role = this.orgRole(p, org);
      if (role) out.push({ org, role });
    }
    return out;
  }

  /** Org-level operations (members, teams, keys, workspaces admin). Project-scoped keys may not. */
  requireOrg(p: Principal, org: string, min: OrgRole, role = this.orgRole(p, org)): OrgRole {
    if (!role) throw errors.NOT_FOUND(`org ${org}`);
    if (!atLeast(role, min)) throw errors.FORBIDDEN(`needs ${min} in the org`);
    if (p.kind === 'apikey' && p.project !== null && min !== 'viewer')
      throw errors.FORBIDDEN('key is scoped to one project');
    return role;
  }

  /**
   * Projects follow the user: org admins and owners see all of them, others the ones granted to
   * them or their teams. An API key sees what its creator sees (by the creator's own role, so an
   * org-wide viewer key of an admin reads every project, like the admin; a viewer user reads only
   * its grants), narrowed to its project when it has one.
   */
  canSeeProject(p: Principal, project: ProjectView): boolean {
    if (!this.orgRole(p, project.org)) return false;
    if (p.kind === 'apikey' && p.project !== null && p.project !== project.id) return false;
    const userRole = this.tenancy.orgs.get(project.org)?.members.get(p.userId);
    if (!userRole) return false;
    if (atLeast(userRole, 'admin')) return true;
    if (project.users.has(p.userId)) return true;
    for (const t of project.teams) if (this.tenancy.teams.get(t)?.members.has(p.userId)) return true;
    return false;
  }

  /** A project the caller can see; `min` is the org role needed (member to change or run things). */
  requireProject(
    p: Principal,
    projectId: string,
    min: OrgRole = 'viewer',
  ): { project: ProjectView; role: OrgRole } {
    const project = this.tenancy.projects.get(projectId);
    if (!project || !this.canSeeProject(p, project)) throw errors.NOT_FOUND(`project ${projectId}`);
    const role = this.orgRole(p, project.org)!;
    if (!atLeast(role, min)) throw errors.FORBIDDEN(`needs ${min} in the org`);
    return { project, role };
  }

  canSeeWorkspace(p: Principal, ws: WorkspaceView): boolean {
    if (!this.orgRole(p, ws.org)) return false;
    if (p.kind === 'apikey' && p.project !== null)
      return this.tenancy.projects.get(p.project)?.workspace === ws.id;
    return true;
  }

  requireWorkspace(
    p: Principal,
    wsId: string,
    min: OrgRole = 'viewer',
  ): { ws: WorkspaceView; role: OrgRole } {
    const ws = this.tenancy.workspaces.get(wsId);
    if (!ws || !this.canSeeWorkspace(p, ws)) throw errors.NOT_FOUND(`workspace ${wsId}`);
    const role = this.orgRole(p, ws.org)!;
    if (!atLeast(role, min)) throw errors.FORBIDDEN(`needs ${min} in the org`);
    return { ws, role };
  }
}
