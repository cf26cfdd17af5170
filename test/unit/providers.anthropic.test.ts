/**
 * The Anthropic provider against a local server speaking the Messages API, through the real
 * `@anthropic-ai/sdk`: streamed and whole replies, tool calls, usage with cache tokens, exact cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../actors/index.js';
import {
  anthropicProvider,
  complete,
  costOf,
  lookupPrice,
  DEFAULT_PRICE_TABLE,
  priceOf,
  type ChatRequest,
} from '../../workspace-node/providers/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await startFakeProviderServer();
});
afterAll(async () => {
  await fake.close();
});

const haiku = lookupPrice(DEFAULT_PRICE_TABLE, 'anthropic', 'claude-haiku-4-5');

function request(over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'claude-haiku-4-5',
    messages: [{ role: 'user', content: 'write a plan' }],
    tools: [],
    idempotencyKey: 'fx-1',
    step: 0,
    ...over,
  };
}

describe('anthropic provider', () => {
  it('streams text deltas and assembles a tool call from input_json_delta fragments', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({
        text: 'I will write the plan now.',
        toolCalls: [
          { id: 'toolu_1', name: 'write_file', input: { path: 'notes/plan.md', content: 'step 1\nstep 2' } },
        ],
        usage: { input: 120, output: 45 },
      }),
    );
    const provider = anthropicProvider({ apiKey: 'test-key', baseURL: fake.anthropicBaseURL });
    const deltas: string[] = [];
    const reply = await complete(provider, request(), (d) => deltas.push(d));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('I will write the plan now.');
    expect(reply).toEqual({
      text: 'I will write the plan now.',
      toolCalls: [
        { id: 'toolu_1', name: 'write_file', input: { path: 'notes/plan.md', content: 'step 1\nstep 2' } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 120, outputTokens: 45, cacheReadTokens: 0, cacheWriteTokens: 0 },
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
    });
  });

  it('prices a streamed call exactly from its usage', async () => {
    fake.enqueue('anthropic', fakeReply({ text: 'done', usage: { input: 1000, output: 500 } }));
    const provider = anthropicProvider({ apiKey: 'k', baseURL: fake.anthropicBaseURL });
    const reply = await complete(provider, request());
    // 1 000 × $1/MTok + 500 × $5/MTok = $0.001 + $0.0025 = 3 500 µ$; the customer pays 5×
    expect(costOf(reply.usage, haiku)).toBe(3_500);
    expect(priceOf(costOf(reply.usage, haiku), 5)).toBe(17_500);
  });

  it('prices a non-streamed call exactly from its usage', async () => {
    fake.enqueue('anthropic', fakeReply({ text: 'done whole', usage: { input: 2000, output: 300 } }));
    const provider = anthropicProvider({ apiKey: 'k', baseURL: fake.anthropicBaseURL, streaming: false });
    const reply = await complete(provider, request());
    expect(reply.text).toBe('done whole');
    expect(fake.requests.at(-1)?.body.stream).not.toBe(true);
    // 2 000 × $1 + 300 × $5 per MTok = 2 000 + 1 500 µ$
    expect(costOf(reply.usage, haiku)).toBe(3_500);
  });

  it('reports cache reads and writes separately and prices each at its own rate', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({ text: 'cached', usage: { input: 50, output: 100, cacheRead: 10_000, cacheWrite: 2_000 } }),
    );
    const provider = anthropicProvider({ apiKey: 'k', baseURL: fake.anthropicBaseURL });
    const reply = await complete(provider, request());
    expect(reply.usage).toEqual({
      inputTokens: 50,
      outputTokens: 100,
      cacheReadTokens: 10_000,
      cacheWriteTokens: 2_000,
    });
    // per MTok: 50 × $1 + 100 × $5 + 10 000 × $0.10 + 2 000 × $1.25 = 50 + 500 + 1 000 + 2 500 µ$
    expect(costOf(reply.usage, haiku)).toBe(4_050);
  });

  it('sends the conversation in Messages API shape: system, tools, merged tool results', async () => {
    fake.enqueue('anthropic', fakeReply({ text: 'ok', usage: { input: 1, output: 1 } }));
    const provider = anthropicProvider({ apiKey: 'k', baseURL: fake.anthropicBaseURL });
    const messages: AgentMessage[] = [
      { role: 'user', content: 'list and read' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 't1', name: 'list_files', input: { path: '.' } },
          { id: 't2', name: 'read_file', input: { path: 'a.txt' } },
        ],
      },
      { role: 'tool', toolCallId: 't1', name: 'list_files', content: 'a.txt', isError: false },
      { role: 'tool', toolCallId: 't2', name: 'read_file', content: 'MOE_ERR_FILE_NOT_FOUND', isError: true },
    ];
    const tools = [
      { name: 'list_files', description: 'list', inputSchema: { type: 'object', properties: {} } },
    ];
    await complete(provider, request({ system: 'be brief', messages, tools, maxTokens: 256 }));
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer k');
    expect(sent.body).toMatchObject({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      stream: true,
      system: 'be brief',
      tools: [{ name: 'list_files', description: 'list', input_schema: { type: 'object', properties: {} } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'list and read' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 't1', name: 'list_files', input: { path: '.' } },
            { type: 'tool_use', id: 't2', name: 'read_file', input: { path: 'a.txt' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'a.txt', is_error: false },
            { type: 'tool_result', tool_use_id: 't2', content: 'MOE_ERR_FILE_NOT_FOUND', is_error: true },
          ],
        },
      ],
    });
  });
});
