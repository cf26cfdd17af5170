/**
 * The OpenAI-compatible provider (OpenAI/Codex, Gemini, Kimi) against a local server speaking
 * Chat Completions, through the real `openai` SDK: streamed tool-call deltas, the usage chunk,
 * cached input as a subset of prompt tokens, exact cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  complete,
  costOf,
  DEFAULT_PRICE_TABLE,
  lookupPrice,
  openAiCompatibleProvider,
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

function request(over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'gpt-5',
    messages: [{ role: 'user', content: 'hello' }],
    tools: [],
    idempotencyKey: 'fx-9',
    step: 0,
    ...over,
  };
}

describe('openai-compatible provider', () => {
  it('streams text and assembles tool calls from indexed argument fragments', async () => {
    fake.enqueue(
      'openai',
      fakeReply({
        text: 'Reading both files.',
        toolCalls: [
          { id: 'call_a', name: 'read_file', input: { path: 'a.txt' } },
          { id: 'call_b', name: 'read_file', input: { path: 'b.txt', limit: 10 } },
        ],
        usage: { input: 300, output: 40 },
      }),
    );
    const provider = openAiCompatibleProvider({
      name: 'openai',
      apiKey: 'sk-test',
      baseURL: fake.openaiBaseURL,
    });
    const reply = await complete(provider, request());
    expect(reply).toEqual({
      text: 'Reading both files.',
      toolCalls: [
        { id: 'call_a', name: 'read_file', input: { path: 'a.txt' } },
        { id: 'call_b', name: 'read_file', input: { path: 'b.txt', limit: 10 } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 300, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 },
      provider: 'openai',
      model: 'gpt-5',
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(sent.headers.authorization).toBe('Bearer sk-test');
  });

  it('reports cached prompt tokens as cache reads, excluded from input, and prices them exactly', async () => {
    // prompt_tokens 5 000 of which 4 000 cached; 200 completion tokens
    fake.enqueue(
      'openai',
      fakeReply({ text: 'cached answer', usage: { input: 5_000, output: 200, cacheRead: 4_000 } }),
    );
    const provider = openAiCompatibleProvider({ name: 'openai', apiKey: 'k', baseURL: fake.openaiBaseURL });
    const reply = await complete(provider, request());
    expect(reply.usage).toEqual({
      inputTokens: 1_000,
      outputTokens: 200,
      cacheReadTokens: 4_000,
      cacheWriteTokens: 0,
    });
    // gpt-5: 1 000 × $1.25 + 200 × $10 + 4 000 × $0.125 per MTok = 1 250 + 2 000 + 500 µ$
    expect(costOf(reply.usage, lookupPrice(DEFAULT_PRICE_TABLE, 'openai', 'gpt-5'))).toBe(3_750);
  });

  it('prices a non-streamed call exactly and sends no stream options', async () => {
    fake.enqueue(
      'openai',
      fakeReply({ text: 'whole', usage: { input: 10_000, output: 1_000, cacheRead: 0 } }),
    );
    const provider = openAiCompatibleProvider({
      name: 'gemini',
      apiKey: 'g',
      baseURL: fake.openaiBaseURL,
      streaming: false,
    });
    const reply = await complete(provider, request({ model: 'gemini-2.5-flash', maxTokens: 64 }));
    expect(reply).toMatchObject({
      text: 'whole',
      stopReason: 'end_turn',
      provider: 'gemini',
      model: 'gemini-2.5-flash',
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.body.stream).not.toBe(true);
    expect(sent.body.stream_options).toBeUndefined();
    expect(sent.body.max_tokens).toBe(64);
    // gemini-2.5-flash: 10 000 × $0.30 + 1 000 × $2.50 per MTok = 3 000 + 2 500 µ$
    expect(costOf(reply.usage, lookupPrice(DEFAULT_PRICE_TABLE, 'gemini', 'gemini-2.5-flash'))).toBe(5_500);
  });

  it('sends the conversation in Chat Completions shape: system first, tool calls and tool results', async () => {
    fake.enqueue('openai', fakeReply({ text: 'ok', usage: { input: 1, output: 1 } }));
    const provider = openAiCompatibleProvider({ name: 'kimi', apiKey: 'k', baseURL: fake.openaiBaseURL });
    await complete(
      provider,
      request({
        model: 'kimi-k2-0905-preview',
        system: 'sys',
        maxTokens: 100,
        tools: [{ name: 'list_files', description: 'list', inputSchema: { type: 'object' } }],
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c1', name: 'list_files', input: { path: '.' } }],
          },
          { role: 'tool', toolCallId: 'c1', name: 'list_files', content: 'a.txt', isError: false },
        ],
      }),
    );
    expect(fake.requests.at(-1)!.body).toMatchObject({
      model: 'kimi-k2-0905-preview',
      max_tokens: 100,
      tools: [
        {
          type: 'function',
          function: { name: 'list_files', description: 'list', parameters: { type: 'object' } },
        },
      ],
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'list_files', arguments: '{"path":"."}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'a.txt' },
      ],
    });
  });
});
