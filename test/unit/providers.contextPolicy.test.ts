/**
 * The context policy (workspace-node/providers/contextPolicy.ts): a conversation that fits is sent
 * unchanged; a longer one keeps the task's prompt and the newest turns within the model's window,
 * with a note for what was left out, never splitting tool calls from their results; and the
 * router applies it per target, so a provider never receives an unbounded history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../actors/index.js';
import {
  anthropicProvider,
  CONTEXT_WINDOWS,
  createRouter,
  DEFAULT_PRICE_TABLE,
  fitToContext,
  messageBudget,
  tokensOf,
} from '../../workspace-node/providers/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';

/** A conversation of `turns` turns: user message, assistant with a tool call, tool result, answer. */
function conversation(turns: number, size = 400): AgentMessage[] {
  const out: AgentMessage[] = [{ role: 'user', content: 'the task: keep the docs tidy' }];
  for (let i = 0; i < turns; i++) {
    if (i > 0) out.push({ role: 'user', content: `follow-up ${i}` });
    out.push({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: `c${i}`, name: 'read_file', input: { path: `f${i}` } }],
    });
    out.push({
      role: 'tool',
      toolCallId: `c${i}`,
      name: 'read_file',
      content: 'x'.repeat(size),
      isError: false,
    });
    out.push({ role: 'assistant', content: `answer ${i}`, toolCalls: [] });
  }
  return out;
}

const limits = { window: 20_000, maxTokens: 1_000 };

/** Every tool result sent has the assistant tool call it answers, earlier in what is sent. */
function pairsIntact(messages: readonly AgentMessage[]): boolean {
  const calls = new Set<string>();
  for (const m of messages) {
    if (m.role === 'assistant') for (const c of m.toolCalls) calls.add(c.id);
    if (m.role === 'tool' && !calls.has(m.toolCallId)) return false;
  }
  return true;
}

describe('context policy', () => {
  it('sends a conversation that fits unchanged', () => {
    const messages = conversation(3);
    const fitted = fitToContext(messages, limits);
    expect(fitted.messages).toBe(messages);
    expect(fitted.omitted).toBe(0);
  });

  it("keeps the task's prompt and the newest turns within the window, with a note", () => {
    const messages = conversation(200);
    expect(tokensOf(messages)).toBeGreaterThan(messageBudget(limits));
    const fitted = fitToContext(messages, limits);
    expect(fitted.tokens).toBeLessThanOrEqual(messageBudget(limits));
    expect(fitted.messages[0]).toEqual(messages[0]);
    expect(fitted.messages[1]).toMatchObject({
      role: 'user',
      content: expect.stringMatching(/^\[context\] \d+ earlier messages/),
    });
    expect(fitted.messages.at(-1)).toEqual(messages.at(-1));
    expect(fitted.omitted).toBe(messages.length - fitted.messages.length + 1);
    // the kept part is the tail of the conversation, from a user message on
    const kept = fitted.messages.slice(2);
    expect(kept).toEqual(messages.slice(messages.length - kept.length));
    expect(kept[0]!.role).toBe('user');
    expect(pairsIntact(fitted.messages)).toBe(true);
  });

  it('keeps the cut while the conversation grows, so the cached prefix survives several calls', () => {
    const messages = conversation(200);
    const first = fitToContext(messages, limits);
    const grown = [...messages, ...conversation(3).slice(1)];
    const next = fitToContext(grown, limits);
    expect(next.messages.slice(0, first.messages.length)).toEqual(first.messages);
  });

  it('shortens the newest turn when it alone is over the window', () => {
    const messages = conversation(2, 200_000);
    const fitted = fitToContext(messages, limits);
    expect(fitted.tokens).toBeLessThanOrEqual(messageBudget(limits));
    expect(fitted.shortened).toBeGreaterThan(0);
    expect(fitted.messages.at(-2)!.content).toContain('characters left out');
  });

  it('knows the context window of every priced model', () => {
    for (const model of Object.keys(DEFAULT_PRICE_TABLE.models))
      expect(CONTEXT_WINDOWS[model], model).toBeGreaterThan(0);
  });
});

describe('the router applies the policy per target', () => {
  let fake: FakeProviderServer;
  beforeAll(async () => {
    fake = await startFakeProviderServer();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('a provider never receives more than the profile’s window', async () => {
    const router = createRouter({
      providers: new Map([['anthropic', anthropicProvider({ apiKey: 'k', baseURL: fake.anthropicBaseURL })]]),
      profiles: {
        small: {
          name: 'small',
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          contextWindow: 20_000,
          maxTokens: 1_000,
        },
      },
    });
    const messages = conversation(300);
    fake.enqueue('anthropic', fakeReply({ text: 'ok', usage: { input: 10, output: 2 } }));
    await router.call({ org: 'o', profile: 'small', messages, tools: [], idempotencyKey: 'fx', step: 0 });
    const sent = JSON.stringify(fake.requests.at(-1)!.body.messages);
    expect(sent.length / 4).toBeLessThan(20_000);
    expect(sent.length).toBeLessThan(JSON.stringify(messages).length / 2);
    expect(sent).toContain('[context]');
    expect(sent).toContain('the task: keep the docs tidy');
  });
});
