/**
 * Retries and 429s as billing sees them, on a real nats-server, workspace-node and gateway, with
 * the REAL Anthropic and OpenAI SDKs against the local wire fake: one agent call meets two 429s
 * (retry-after-ms 300 each) and a stream cut after its input was reported (1 000 input tokens and 1 output token billed) on
 * anthropic/claude-haiku-4-5, then falls back to openai/gpt-5-mini, which answers. The journaled
 * `usage.recorded` carries the attempts summary; the gateway's usage projection counts it on the
 * provider that failed, and `GET /api/workspaces/:id/usage/suggestions` answers a `retries`
 * suggestion with the exact figures (1 005 µ$, 600 ms); `notComputed` no longer lists retries.
 */
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTurns, type CallAttempts } from '../../schemas/index.js';
import { startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import {
  fakeBrokenStream,
  fakeRateLimited,
  fakeReply,
  startFakeProviderServer,
  type FakeProviderServer,
} from '../fakes/providerWire.js';
import pino from 'pino';
import { eventually, tempDir } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let fake: FakeProviderServer;
let node: WorkspaceNode;
const dir = tempDir('moe-retries-');

beforeAll(async () => {
  stack = await startStack({ node: false });
  fake = await startFakeProviderServer();
  node = await startWorkspaceNode({
    natsUrl: stack.ns.url,
    dataDir: dir.path,
    nodeId: 'retries-node',
    logger: pino({ level: 'silent' }),
    providers: {
      anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL },
      openai: { apiKey: 'test-o', baseURL: fake.openaiBaseURL },
    },
    profiles: {
      default: {
        name: 'default',
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        maxTokens: 256,
        fallbacks: [{ provider: 'openai', model: 'gpt-5-mini' }],
      },
    },
    // three tries per target; backoff (≤ 20 ms) is below the 429s' retry-after: waits are exact
    routerRetry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
  });
}, 90_000);

afterAll(async () => {
  await node?.stop();
  await fake?.close();
  await stack?.stop();
  dir.remove();
});

const EXPECTED: CallAttempts[] = [
  {
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    count: 3,
    rateLimited: 2,
    otherFailures: 1,
    waitMs: 600,
    // message_start reports the input and (as Anthropic's does) output_tokens: 1
    failedUsage: { inputTokens: 1000, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
    // claude-haiku-4-5 at $1 / $5 per MTok: 1 000·1 + 1·5 = 1 005 µ$; the customer's 5× on top
    failedCostMicros: 1005,
    failedPriceMicros: 5025,
  },
  {
    provider: 'openai',
    model: 'gpt-5-mini',
    count: 1,
    rateLimited: 0,
    otherFailures: 0,
    waitMs: 0,
    failedUsage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    failedCostMicros: 0,
    failedPriceMicros: 0,
  },
];

describe('retries and 429s', () => {
  it('journals the attempts and suggests what they cost, exactly', async () => {
    const owner = await registerAndLogin(stack.gw, 'retrier');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'R' })).body
      .id;
    const ws = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'w' })
    ).body.id;
    const project = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, {
        name: 'p',
      })
    ).body.id;
    await node.waitForWorkspace(org, ws, 30_000);

    fake.enqueue(
      'anthropic',
      fakeRateLimited('1', { 'retry-after-ms': '300' }),
      fakeRateLimited('1', { 'retry-after-ms': '300' }),
      fakeBrokenStream(2, { text: 'cut', usage: { input: 1000, output: 50 } }),
    );
    fake.enqueue('openai', fakeReply({ text: 'done', usage: { input: 100, output: 10 } }));
    const sub = await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'go',
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    await eventually(
      async () =>
        (await call<{ status: string }>(stack.gw, owner.auth, 'GET', `/api/tasks/${sub.body.id}`)).body
          .status === 'done' || undefined,
      { timeoutMs: 60_000, what: 'the task done' },
    );

    // the journal: usage.recorded of the one call carries the attempts
    const js = jetstream(stack.nc);
    const consumer = await js.consumers.get('MOE_EVT', { filter_subjects: `moe.evt.${org}.${ws}.>` });
    const recorded: { provider: string; attempts?: CallAttempts[] }[] = [];
    const msgs = await consumer.fetch({ max_messages: 500, expires: 3_000 });
    for await (const m of msgs) {
      for (const t of decodeTurns(m.data))
        for (const e of t.events)
          if (e.type === 'usage.recorded') recorded.push(e as unknown as (typeof recorded)[number]);
      if (m.info.pending === 0) break;
    }
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.provider).toBe('openai');
    expect(recorded[0]!.attempts).toEqual(EXPECTED);

    // the suggestion, from the gateway's usage projection
    const s = await eventually(
      async () => {
        const r = await call<{
          suggestions: {
            kind: string;
            provider: string;
            estimatedSavingMicros: number;
            estimatedSavingMs?: number;
            evidence: Record<string, unknown>;
            title: string;
          }[];
          notComputed: { kind: string }[];
        }>(stack.gw, owner.auth, 'GET', `/api/workspaces/${ws}/usage/suggestions`);
        return r.body.suggestions?.some((x) => x.kind === 'retries') ? r.body : undefined;
      },
      { timeoutMs: 30_000, what: 'the retries suggestion' },
    );
    const retries = s.suggestions.filter((x) => x.kind === 'retries');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({
      provider: 'anthropic',
      estimatedSavingMicros: 1005,
      estimatedSavingMs: 600,
      evidence: {
        retriedCalls: 1,
        failedAttempts: 3,
        rateLimitedAttempts: 2,
        retryWaitMs: 600,
        failedAttemptCostMicros: 1005,
      },
    });
    expect(retries[0]!.title).toContain('3 failed attempts (2 answered 429)');
    expect(s.notComputed.map((n) => n.kind)).not.toContain('retries-and-429s');
  }, 150_000);
});
