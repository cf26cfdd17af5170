/**
 * Titles instead of ids: the console names orgs, workspaces and projects by what their owners
 * called them (the tenancy projection), keeping the id only as a tooltip. An id the projection
 * does not know is shown as it is.
 */
import { TENANCY_WS } from '../../schemas/index.js';
import type { TenancyProjection } from '../projection.js';

export interface Names {
  org(id: string): string;
  workspace(id: string): string;
  project(id: string | null): string;
}

export function namesOf(tenancy: TenancyProjection): Names {
  return {
    org: (id) => tenancy.orgs.get(id)?.name ?? id,
    workspace: (id) => (id === TENANCY_WS ? 'tenancy (system)' : (tenancy.workspaces.get(id)?.name ?? id)),
    project: (id) => (id === null ? '(no project)' : (tenancy.projects.get(id)?.name ?? id)),
  };
}

/** `<org>.<ws>` (a placement key) split in two; null when it is not one. */
export function splitPlacementKey(key: string): { org: string; ws: string } | null {
  const dot = key.indexOf('.');
  if (dot <= 0 || dot === key.length - 1 || key.indexOf('.', dot + 1) !== -1) return null;
  return { org: key.slice(0, dot), ws: key.slice(dot + 1) };
}
