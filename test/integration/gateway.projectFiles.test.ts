/**
 * Project isolation of workspace files over REST: two projects in one workspace, a member granted
 * only P1. A P2 task writes a file; the member's P1 task cannot read, list or search it, and a P2
 * task can. The tools of a task work in its project's folder (`files/projects/<project>/`).
 */
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../actors/kernel/index.js';
import { turnsOf } from '../../schemas/index.js';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let owner: Awaited<ReturnType<typeof registerAndLogin>>;
let member: Awaited<ReturnType<typeof registerAndLogin>>;
let org: string;
let ws: string;
let p1: string;
let p2: string;

beforeAll(async () => {
  stack = await startStack();
  owner = await registerAndLogin(stack.gw, 'owner');
  member = await registerAndLogin(stack.gw, 'member');
  org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'Iso' })).body.id;
  await call(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/members`, {
    email: member.email,
    role: 'member',
  });
  ws = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'w' })).body
    .id;
  const project = async (name: string) =>
    (await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, { name }))
      .body.id;
  p1 = await project('p1');
  p2 = await project('p2');
  expect((await call(stack.gw, owner.auth, 'PUT', `/api/projects/${p1}/users/${member.id}`)).status).toBe(
    200,
  );
});
afterAll(async () => stack?.stop());

type ToolCallSpec = { name: string; input: Record<string, unknown> };

/** Submits a one-tool-step task and returns the tool outputs once it is done. */
async function runTask(
  auth: Record<string, string>,
  project: string,
  calls: ToolCallSpec[],
): Promise<Array<{ output: string; isError: boolean }>> {
  const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt: 'use the tools',
    script: [{ text: 'working', toolCalls: calls }, { text: 'done' }],
  });
  expect(sub.status).toBe(202);
  await eventually(async () => {
    const t = await call<{ status: string }>(stack.gw, auth, 'GET', `/api/tasks/${sub.body.id}`);
    return t.body.status === 'done' ? true : undefined;
  });
  const outputs: Array<{ callId: string; output: string; isError: boolean }> = [];
  for await (const { entry } of readJournal(
    jetstream(stack.nc),
    `moe.evt.${org}.${ws}.agent.${sub.body.id}`,
    0,
  ))
    for (const r of turnsOf(entry))
      if (
        r.cmd.type === 'effect.result' &&
        typeof (r.cmd.data?.value as { callId?: unknown })?.callId === 'string'
      )
        outputs.push(r.cmd.data?.value as { callId: string; output: string; isError: boolean });
  // in the order the model asked for them (call ids end in -t<i>)
  return outputs
    .sort((a, b) => a.callId.localeCompare(b.callId))
    .map(({ output, isError }) => ({ output, isError }));
}

describe('workspace files per project', () => {
  it('a P1 task cannot read, list or search a file a P2 task wrote; a P2 task can', async () => {
    const [written] = await runTask(owner.auth, p2, [
      { name: 'write_file', input: { path: 'secret-p2.txt', content: 'the P2 secret' } },
    ]);
    expect(written?.isError).toBe(false);

    const [read, list, search, escape] = await runTask(member.auth, p1, [
      { name: 'read_file', input: { path: 'secret-p2.txt' } },
      { name: 'list_files', input: { path: '.' } },
      { name: 'search', input: { pattern: 'P2 secret' } },
      { name: 'read_file', input: { path: `../${p2}/secret-p2.txt` } },
    ]);
    expect(read?.isError).toBe(true);
    expect(read?.output).toMatch(/MOE_ERR_FILE_NOT_FOUND/);
    expect(list?.output).not.toContain('secret-p2');
    expect(search?.output).not.toContain('secret-p2.txt');
    expect(escape?.isError).toBe(true);
    expect(escape?.output).toMatch(/MOE_ERR_PATH_OUTSIDE_WORKSPACE/);

    const [again, listed, found] = await runTask(owner.auth, p2, [
      { name: 'read_file', input: { path: 'secret-p2.txt' } },
      { name: 'list_files', input: { path: '.' } },
      { name: 'search', input: { pattern: 'P2 secret' } },
    ]);
    expect(again?.isError).toBe(false);
    expect(again?.output).toContain('the P2 secret');
    expect(listed?.output).toContain('secret-p2.txt');
    expect(found?.output).toContain('secret-p2.txt');
  });
});
