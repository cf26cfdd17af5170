/**
 * Creating a workspace sends two commands: `workspace.create` to the new workspace's actor and
 * `workspace.add` to the org actor. When the second cannot be stored, the caller hears about it
 * (503 MOE_ERR_NATS_UNAVAILABLE with retry-after, as in any NATS outage) instead of a 201 for a
 * workspace its org never learnt of; a retry with the same Idempotency-Key completes both, with no
 * second workspace.
 *
 * The failure is real: one gateway connects as a NATS user that may not publish to org actors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANCY_WS } from '../../schemas/tenancy.js';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { eventually } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

const natsConfig = `
authorization {
  users = [
    { user: full, password: full }
    {
      user: no_org_actor, password: no_org_actor,
      permissions: {
        publish: { allow: [">"], deny: ["moe.cmd.*.${TENANCY_WS}.org.*"] }
        subscribe: { allow: [">"] }
      }
    }
  ]
}
no_auth_user: full
`;

let stack: Stack;
let narrow: Gateway;
let auth: { authorization: string };
let org: string;

beforeAll(async () => {
  stack = await startStack({ natsConfig });
  narrow = await buildGateway({
    natsUrl: stack.ns.url,
    jwtSecret: JWT_SECRET,
    logger: false,
    natsConnectOptions: { user: 'no_org_actor', pass: 'no_org_actor' },
  });
  auth = (await registerAndLogin(stack.gw, 'wsadd')).auth;
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'O' })).body.id;
  await eventually(() => (narrow.ctx.tenancy.orgs.get(org)?.members.size ? true : undefined));
});
afterAll(async () => {
  await narrow?.close();
  await stack?.stop();
});

const create = (gw: Gateway) =>
  gw.app.inject({
    method: 'POST',
    url: '/api/workspaces',
    payload: { org, name: 'w' },
    headers: { ...auth, 'idempotency-key': 'ws-add-1' },
  });

describe('creating a workspace', () => {
  it('answers 503 with retry-after when the org actor cannot be told, and a retry completes it', async () => {
    const failed = await create(narrow);
    expect(failed.statusCode).toBe(503);
    expect(failed.json<{ error: { code: string } }>().error.code).toBe('MOE_ERR_NATS_UNAVAILABLE');
    expect(Number(failed.headers['retry-after'])).toBeGreaterThan(0);
    const orgActor = { org, ws: TENANCY_WS, kind: 'org', id: org };
    const before = await stack.gw.ctx.bus.records(orgActor);
    expect(before.some((r) => r.rec.cmd.type === 'workspace.add')).toBe(false);

    const retried = await create(stack.gw);
    expect(retried.statusCode).toBe(201);
    const ws = retried.json<{ id: string }>().id;
    const after = await eventually(async () => {
      const recs = await stack.gw.ctx.bus.records(orgActor);
      return recs.some((r) => r.rec.cmd.type === 'workspace.add') ? recs : undefined;
    });
    const added = after.filter((r) => r.rec.cmd.type === 'workspace.add');
    expect(added).toHaveLength(1);
    expect(added[0]!.rec.cmd.data).toMatchObject({ workspace: ws });
    expect([...stack.gw.ctx.tenancy.workspaces.values()].filter((w) => w.org === org)).toHaveLength(1);
  });
});
