/**
 * Tasks sent with the CLI over NATS and the gateway's project views: `moe task --project` runs the
 * task in a gateway project (listed and counted there), and a task without one is counted under
 * `project: null` — visible to org admins only — instead of a made-up project name.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOE_BIN } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

function moe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MOE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr })); // close: all output read
  });
}

interface Usage {
  rows: { project: string | null; runs: number }[];
}

describe('CLI tasks in gateway usage', () => {
  let owner: Awaited<ReturnType<typeof registerAndLogin>>;
  let viewer: Awaited<ReturnType<typeof registerAndLogin>>;
  let org: string;
  let ws: string;
  let project: string;
  let base: string[];

  beforeAll(async () => {
    owner = await registerAndLogin(stack.gw, 'cliproj');
    viewer = await registerAndLogin(stack.gw, 'cliproj-viewer');
    org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'CLI' })).body.id;
    await call(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/members`, {
      email: viewer.email,
      role: 'viewer',
    });
    ws = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'w' }))
      .body.id;
    project = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, {
        name: 'p',
      })
    ).body.id;
    await call(stack.gw, owner.auth, 'PUT', `/api/projects/${project}/users/${viewer.id}`);
    base = ['--org', org, '--workspace', ws, '--wait', '--json', '--nats', stack.ns.url];
  });

  /** The usage rows once at least `runs` runs are folded (the projection follows the journal). */
  const usageOf = async (auth: Record<string, string>, runs: number) => {
    let rows: Usage['rows'] = [];
    for (let i = 0; i < 200; i++) {
      rows = (await call<Usage>(stack.gw, auth, 'GET', `/api/usage?org=${org}`)).body.rows;
      if (rows.reduce((n, r) => n + r.runs, 0) >= runs) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return rows;
  };

  it('a task sent without --project is counted under project null, shown to org admins only', async () => {
    const loose = await moe(['task', 'outside any project', ...base]);
    expect(loose.code, loose.stderr).toBe(0);
    const rows = await usageOf(owner.auth, 1);
    expect(rows.map((r) => [r.project, r.runs])).toEqual([[null, 1]]);
    expect(await usageOf(viewer.auth, 0)).toEqual([]);
  });

  it('a task sent with --project is listed and counted in that project, and its viewers see it', async () => {
    const inProject = await moe(['task', 'in the project', '--project', project, ...base]);
    expect(inProject.code, inProject.stderr).toBe(0);
    const task = (JSON.parse(inProject.stdout) as { task: string }).task;
    expect(task.startsWith(`${ws}-${project}-t`)).toBe(true);
    const listed = await call<{ tasks: { id: string }[] }>(
      stack.gw,
      owner.auth,
      'GET',
      `/api/projects/${project}/tasks`,
    );
    expect(listed.body.tasks.map((t) => t.id)).toContain(task);
    const rows = await usageOf(owner.auth, 2);
    expect(rows.find((r) => r.project === project)?.runs).toBe(1);
    expect((await usageOf(viewer.auth, 1)).map((r) => r.project)).toEqual([project]);
  });

  it('--project with ids the gateway cannot have made is a usage error before anything is sent', async () => {
    const r = await moe([
      'task',
      'x',
      '--org',
      'o',
      '--workspace',
      'w',
      '--project',
      'p',
      '--nats',
      stack.ns.url,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--project');
  });
});
