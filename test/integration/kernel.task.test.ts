import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { MoeClient } from '../../client/index.js';
import { startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let node: WorkspaceNode;
const data = tempDir();

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  node = await startWorkspaceNode({
    natsUrl: ns.url,
    dataDir: data.path,
    nodeId: 'n1',
    logger: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await node?.stop();
  await nc?.close();
  await ns?.stop();
  data.remove();
});

describe('an agent task on the scripted provider', () => {
  it('runs prompt → provider → tool calls → result and journals one record per turn', async () => {
    const client = new MoeClient(nc);
    const { outcome, records } = await client.runTask('acme', 'w1', 't1', {
      prompt: 'write a haiku about queues',
    });
    if (outcome.type !== 'task.completed') throw new Error(`task did not complete: ${outcome.type}`);
    expect(outcome.result).toContain('[scripted]');
    expect(outcome.provider).toBe('scripted');
    const turns = records.map((r) => r.record.turn);
    expect(turns).toEqual(turns.map((_, i) => i + 1));
    const types = records.map((r) => r.record.cmd.type);
    expect(types[0]).toBe('task.submit');
    expect(types.filter((t) => t === 'effect.result').length).toBe(records.length - 1);
    expect(records.at(-1)?.record.status).toBe('done');
  });
});
