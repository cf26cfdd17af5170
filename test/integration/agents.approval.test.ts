/**
 * Tool approval through the kernel: a call to a tool that needs approval parks the agent in the
 * journaled `awaiting_approval` state, which survives a node restart; `task.approve` runs the
 * tool, `task.deny` answers the model with `denied: <reason>` (seen on the real Anthropic SDK's
 * wire). The command names and data are what the gateway sends.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceDir, type WorkspaceNodeOptions } from '../../workspace-node/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { startPlatform, type Platform } from '../harness/index.js';
import { eventsOf, FAST_RETRY, hasEvent, waitForRecord } from './agents.kit.js';

let p: Platform;
let fake: FakeProviderServer;
let options: WorkspaceNodeOptions;

beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
  options = {
    providers: { anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL } },
    profiles: { haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 256 } },
    toolset: { approval: ['write_file'] },
    routerRetry: FAST_RETRY,
    leaseMs: 1500,
  };
});
afterAll(async () => {
  await p?.close();
  await fake?.close();
});

describe('tool approval', () => {
  it('waits for approval across a node restart, then runs the approved tool and completes', async () => {
    const agent = { org: 'ap', ws: 'w1', kind: 'agent', id: 'gated' };
    const first = await p.node({ ...options, nodeId: 'n1' });
    await p.client.send(agent, {
      id: 'submit-gated',
      type: 'task.submit',
      data: {
        prompt: 'write the notes',
        profile: 'scripted',
        script: [
          {
            text: 'writing',
            toolCalls: [{ name: 'write_file', input: { path: 'notes.md', content: 'approved!' } }],
          },
          { text: 'notes written' },
        ],
      },
    });
    const parked = await waitForRecord(
      p,
      'moe.evt.ap.w1.>',
      (r) => r.record.state === 'awaiting_approval',
      'awaiting_approval',
    );
    const requested = eventsOf(parked, 'approval.requested')[0];
    expect(requested).toMatchObject({ tools: ['write_file'] });
    await first.stop();

    await p.node({ ...options, nodeId: 'n2' });
    const callId = (requested?.callIds as string[])[0];
    await p.client.send(agent, { id: 'approve-gated', type: 'task.approve', data: { callId } });
    const records = await waitForRecord(p, 'moe.evt.ap.w1.>', hasEvent('task.completed'), 'task.completed');
    expect(eventsOf(records, 'approval.decided')).toEqual([
      { type: 'approval.decided', callId, tool: 'write_file', approved: true },
    ]);
    expect(eventsOf(records, 'task.completed')[0]).toMatchObject({ result: 'notes written' });
    const file = join(workspaceDir(p.dataDir, 'ap', 'w1'), 'files', 'notes.md');
    expect(existsSync(file) && readFileSync(file, 'utf8')).toBe('approved!');
  });

  it('answers a denied call to the model as an error tool result and lets it carry on', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({
        text: 'I will overwrite it.',
        toolCalls: [{ id: 'toolu_w', name: 'write_file', input: { path: 'x.md', content: 'x' } }],
        usage: { input: 10, output: 5 },
      }),
      fakeReply({ text: 'Understood, I left x.md alone.', usage: { input: 20, output: 5 } }),
    );
    const agent = { org: 'ap', ws: 'w2', kind: 'agent', id: 'denied' };
    await p.client.send(agent, {
      id: 'submit-denied',
      type: 'task.submit',
      data: { prompt: 'overwrite x.md', profile: 'haiku' },
    });
    await waitForRecord(
      p,
      'moe.evt.ap.w2.>',
      (r) => r.record.state === 'awaiting_approval',
      'awaiting_approval',
    );
    await p.client.send(agent, { id: 'deny-denied', type: 'task.deny', data: { reason: 'x.md is frozen' } });
    const records = await waitForRecord(p, 'moe.evt.ap.w2.>', hasEvent('task.completed'), 'task.completed');
    expect(eventsOf(records, 'task.completed')[0]).toMatchObject({
      result: 'Understood, I left x.md alone.',
    });
    expect(records.some((r) => r.record.effects.some((e) => e.kind === 'tool.run'))).toBe(false);
    const last = fake.requests.at(-1)?.body as { messages: { role: string; content: unknown }[] };
    const toolResult = JSON.stringify(last.messages.at(-1));
    expect(toolResult).toContain('"tool_use_id":"toolu_w"');
    expect(toolResult).toContain('denied: x.md is frozen');
    expect(toolResult).toContain('"is_error":true');
    expect(existsSync(join(workspaceDir(p.dataDir, 'ap', 'w2'), 'files', 'x.md'))).toBe(false);
  });

  it('rejects task.approve when the agent waits for nothing', async () => {
    const agent = { org: 'ap', ws: 'w3', kind: 'agent', id: 'plain' };
    await p.client.runTask('ap', 'w3', 'plain', {
      prompt: 'p',
      profile: 'scripted',
      script: [{ text: 'done' }],
    });
    const r = await p.client.request(agent, { id: 'approve-plain', type: 'task.approve', data: {} });
    expect(r.record.events).toEqual([
      expect.objectContaining({ type: 'command.rejected', command: 'task.approve' }),
    ]);
  });
});
