/**
 * Where a task's tools work: a task of project P works in `<files>/projects/P/` of its workspace,
 * so a member granted only project P1 never reaches what a P2 task wrote (confinement in
 * `tools/confine.ts` keeps every path inside that root). A task without a project — sent over NATS
 * or by the CLI with org credentials — works at the workspace's files root, which holds the
 * `projects/` folder too: org-level tasks see every project, project tasks see only their own.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TOKEN_PATTERN } from '../../schemas/index.js';
import { errors } from '../errors.js';

const PROJECT_RE = new RegExp(TOKEN_PATTERN);

/** The folder of a project's files inside a workspace's files root. */
export function projectFilesDir(filesRoot: string, project: string): string {
  return join(filesRoot, 'projects', project);
}

/** The root for the tools of a task of `project` (created on first use); the files root without one. */
export async function toolRootFor(filesRoot: string, project: string | undefined): Promise<string> {
  if (project === undefined) return filesRoot;
  // The command schema already checked it; a spec from elsewhere must not name `..`.
  if (!PROJECT_RE.test(project)) throw errors.TOOL_INPUT(`invalid project id ${JSON.stringify(project)}`);
  const dir = projectFilesDir(filesRoot, project);
  await mkdir(dir, { recursive: true });
  return dir;
}
