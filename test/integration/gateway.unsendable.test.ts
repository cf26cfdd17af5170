/**
 * Requests whose command cannot be sent get an answer with a code, and leave nothing behind: a
 * body too deeply nested for JSON.stringify is 400, a body under the HTTP limit whose command
 * envelope is over NATS' max_payload is 413, and a hundred of them leave no consumer on MOE_EVT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../../schemas/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let project: string;

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'unsendable')).auth;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'U' })).body.id;
  const ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body
    .id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
});
afterAll(async () => {
  await stack?.stop();
});

/** A task body whose tool-call input nests arrays `depth` deep (valid JSON, too deep to re-encode). */
function deepBody(depth: number): string {
  const deep = '['.repeat(depth) + ']'.repeat(depth);
  return `{"prompt":"deep","script":[{"toolCalls":[{"name":"list_files","input":{"a":${deep}}}]}]}`;
}

/** A task body of exactly `bytes` bytes (under the 1 MiB HTTP limit). */
function bigBody(bytes: number): string {
  const shell = '{"prompt":"big","script":[{"text":""}]}';
  const body = shell.replace('"text":""', `"text":"${'x'.repeat(bytes - shell.length)}"`);
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

async function submitRaw(payload: string) {
  const res = await stack.gw.app.inject({
    method: 'POST',
    url: `/api/projects/${project}/tasks`,
    headers: { ...auth, 'content-type': 'application/json' },
    payload,
  });
  return { status: res.statusCode, code: res.json<{ error?: { code: string } }>().error?.code };
}

/**
 * Consumers on MOE_EVT that read one actor's subject: what a request's journal reader opens. The
 * long-lived followers (the gateway's projections and shared acceptance follower, the node's
 * tenancy mirror, which a node may open for an org at any time) read wildcards and are not counted.
 */
async function eventConsumers(): Promise<number> {
  let n = 0;
  for await (const c of stack.gw.ctx.bus.jsm.consumers.list(STREAMS.events))
    if (!/[*>]/.test(c.config.filter_subject ?? '>')) n++;
  return n;
}

describe('requests whose command cannot be sent', () => {
  it('a body nested too deeply to encode is answered 400 with a code', async () => {
    const res = await submitRaw(deepBody(6000));
    expect(res).toEqual({ status: 400, code: 'MOE_ERR_VALIDATION' });
  });

  it('a body just under 1 MiB whose command exceeds max_payload is answered 413 with a code', async () => {
    const res = await submitRaw(bigBody(1_048_500));
    expect(res).toEqual({ status: 413, code: 'MOE_ERR_PAYLOAD_TOO_LARGE' });
  });

  it("a body over the node's maximum command size but under max_payload is answered 413, not sent", async () => {
    const res = await submitRaw(bigBody(300_000));
    expect(res).toEqual({ status: 413, code: 'MOE_ERR_PAYLOAD_TOO_LARGE' });
  });

  it('a hundred unsendable requests are all answered and leave no consumer on MOE_EVT', async () => {
    const before = await eventConsumers();
    // one after another: parallel requests would meet the rate limiter's KV contention (issue 9 #8)
    const answers: { status: number; code: string | undefined }[] = [];
    for (let i = 0; i < 100; i++)
      answers.push(await submitRaw(i % 2 ? deepBody(6000) : bigBody(1_048_464 + i)));
    expect(answers.filter((a) => a.status === 400 && a.code === 'MOE_ERR_VALIDATION')).toHaveLength(50);
    expect(answers.filter((a) => a.status === 413 && a.code === 'MOE_ERR_PAYLOAD_TOO_LARGE')).toHaveLength(
      50,
    );
    expect(await eventConsumers()).toBeLessThanOrEqual(before);
  });

  it('a request that is sent still answers, and its consumer is deleted afterwards', async () => {
    const before = await eventConsumers();
    const ok = await call(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'small',
      script: [{ text: 'ok' }],
    });
    expect(ok.status).toBe(202);
    expect(await eventConsumers()).toBeLessThanOrEqual(before);
  });
});
