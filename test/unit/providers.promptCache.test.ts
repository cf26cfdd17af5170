/**
 * Prompt caching on Anthropic, end to end through the router, the real `@anthropic-ai/sdk` and the
 * wire fake with an emulated prompt cache (test/fakes/anthropicCache.ts): the provider marks the
 * stable prefix of a conversation with `cache_control`, so a follow-up message reads the earlier
 * conversation from the cache, and — priced by the exact cost computation — costs less than the
 * same follow-up without caching.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../actors/index.js';
import {
  anthropicProvider,
  costOf,
  createRouter,
  DEFAULT_PRICE_TABLE,
  lookupPrice,
  type Provider,
  type RoutedReply,
} from '../../workspace-node/providers/index.js';
import { anthropicPromptCache } from '../fakes/anthropicCache.js';
import { startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';

/** the default Anthropic model (providers/config.ts); claude-sonnet-4-5 reached end-of-life on 2026-11-30 and the SDK warns on every call with it */
const MODEL = 'claude-sonnet-5-5';
const SYSTEM = 'You review code. '.repeat(400);
const tools = [
  {
    name: 'read_file',
    description: 'read a file of the workspace',
    inputSchema: { type: 'object', properties: {} },
  },
];

/** Each conversation gets its own fake server, with a cache of its own. */
const servers: FakeProviderServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

function routerOn(fake: FakeProviderServer, promptCaching: boolean) {
  const provider: Provider = anthropicProvider({
    apiKey: 'k',
    baseURL: fake.anthropicBaseURL,
    promptCaching,
  });
  return createRouter({
    providers: new Map([['anthropic', provider]]),
    profiles: {
      default: { name: 'default', provider: 'anthropic', model: MODEL, system: SYSTEM },
    },
  });
}

/** A task's answer and then `followUps` follow-up messages, each answered with the whole conversation. */
async function converse(
  promptCaching: boolean,
  followUps: number,
): Promise<{ replies: RoutedReply[]; fake: FakeProviderServer }> {
  const fake = await startFakeProviderServer({ respond: anthropicPromptCache().respond(() => 'noted') });
  servers.push(fake);
  const router = routerOn(fake, promptCaching);
  const messages: AgentMessage[] = [
    { role: 'user', content: `Review this module:\n${'const x = 1;\n'.repeat(600)}` },
  ];
  const replies: RoutedReply[] = [];
  for (let i = 0; i <= followUps; i++) {
    const r = await router.call({
      org: 'o',
      profile: 'default',
      messages,
      tools,
      idempotencyKey: `fx-${i}`,
      step: i,
    });
    replies.push(r);
    messages.push(
      { role: 'assistant', content: r.reply.text, toolCalls: [] },
      { role: 'user', content: `follow-up ${i}` },
    );
  }
  return { replies, fake };
}

describe('anthropic prompt caching', () => {
  it('marks the stable prefix: the end of the request and the end of the previous one', async () => {
    const cached = (await converse(true, 1)).fake;
    const plain = (await converse(false, 1)).fake;
    const second = cached.requests.at(-1)!.body.messages as { content: { cache_control?: unknown }[] }[];
    const marked = second
      .flatMap((m, i) => m.content.map((b, j) => (b.cache_control ? `${i}.${j}` : null)))
      .filter(Boolean);
    // [user task, assistant, user follow-up]: the task (the previous request's end) and the follow-up
    expect(marked).toEqual(['0.0', '2.0']);
    const plainBody = plain.requests.at(-1)?.body;
    expect(JSON.stringify(plainBody ?? {})).not.toContain('cache_control');
  });

  it('a cached follow-up reads the conversation from the cache and costs less', async () => {
    const withCache = (await converse(true, 3)).replies;
    const without = (await converse(false, 3)).replies;
    const price = lookupPrice(DEFAULT_PRICE_TABLE, 'anthropic', MODEL);
    // the first call writes the prefix (1.25× input); every follow-up reads it for less
    expect(withCache[0]!.reply.usage.cacheWriteTokens).toBeGreaterThan(0);
    for (const r of withCache.slice(1)) {
      expect(r.reply.usage.cacheReadTokens).toBeGreaterThan(
        r.reply.usage.inputTokens + r.reply.usage.cacheWriteTokens,
      );
    }
    for (const r of without) expect(r.reply.usage.cacheReadTokens + r.reply.usage.cacheWriteTokens).toBe(0);
    // the router's recorded cost is the exact cost of the usage
    for (const r of [...withCache, ...without]) expect(r.costMicros).toBe(costOf(r.reply.usage, price));
    for (let i = 1; i < withCache.length; i++) {
      expect(withCache[i]!.costMicros).toBeLessThan(without[i]!.costMicros);
      // and by the price table's ratio: a read is a tenth of an input token
      expect(withCache[i]!.costMicros / without[i]!.costMicros).toBeLessThan(0.5);
    }
    const total = (rs: RoutedReply[]) => rs.reduce((n, r) => n + r.costMicros, 0);
    expect(total(withCache)).toBeLessThan(total(without));
  });
});
