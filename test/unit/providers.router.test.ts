/**
 * The router over real SDKs pointed at the fake wire server: retry-after honoured, broken and
 * slow streams retried, circuit breaker opening and falling back, terminal errors not retried,
 * and the scripted provider as the default when no key is configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoeError } from '../../schemas/index.js';
import {
  anthropicProvider,
  createProviders,
  createRouter,
  defaultProfiles,
  openAiCompatibleProvider,
  providersConfigFromEnv,
  type AgentProfile,
  type Provider,
  type RouterOptions,
} from '../../workspace-node/providers/index.js';
import { fakeClock } from '../fakes/clock.js';
import {
  fakeBrokenStream,
  fakeError,
  fakeRateLimited,
  fakeReply,
  startFakeProviderServer,
  type FakeProviderServer,
} from '../fakes/providerWire.js';

let fake: FakeProviderServer;
let providers: Map<string, Provider>;
beforeAll(async () => {
  fake = await startFakeProviderServer();
  providers = new Map<string, Provider>([
    ['anthropic', anthropicProvider({ apiKey: 'a', baseURL: fake.anthropicBaseURL })],
    ['openai', openAiCompatibleProvider({ name: 'openai', apiKey: 'o', baseURL: fake.openaiBaseURL })],
  ]);
});
afterAll(async () => {
  await fake.close();
});

const profiles: Record<string, AgentProfile> = {
  claude: { name: 'claude', provider: 'anthropic', model: 'claude-haiku-4-5' },
  resilient: {
    name: 'resilient',
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    fallbacks: [{ provider: 'openai', model: 'gpt-5' }],
  },
};

const callArgs = {
  org: 'acme',
  messages: [{ role: 'user' as const, content: 'hi' }],
  tools: [],
  idempotencyKey: 'fx',
  step: 0,
};

function router(over: Partial<RouterOptions> = {}) {
  const clock = fakeClock();
  return { clock, router: createRouter({ providers, profiles, clock, random: () => 0.5, ...over }) };
}

async function rejection(p: Promise<unknown>): Promise<MoeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MoeError);
  return err as MoeError;
}

describe('provider router', () => {
  it('waits exactly the retry-after a 429 asked for, then serves the retry', async () => {
    fake.enqueue(
      'anthropic',
      fakeRateLimited('7'),
      fakeReply({ text: 'after the wait', usage: { input: 10, output: 5 } }),
    );
    const { router: r, clock } = router();
    const out = await r.call({ ...callArgs, profile: 'claude' });
    expect(clock.sleeps).toEqual([7_000]);
    expect(out.reply.text).toBe('after the wait');
    expect(out.attempts).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        attempt: 1,
        outcome: 'failed',
        code: 'MOE_ERR_PROVIDER_RATE_LIMITED',
        waitMs: 7_000,
      },
      { provider: 'anthropic', model: 'claude-haiku-4-5', attempt: 2, outcome: 'ok' },
    ]);
  });

  it('prefers retry-after-ms over retry-after and reads an HTTP-date retry-after', async () => {
    // HTTP dates are compared with the real time (they come from the server's real clock).
    const httpDate = new Date(Date.now() + 4_000).toUTCString();
    fake.enqueue(
      'openai',
      fakeRateLimited('30', { 'retry-after-ms': '1250' }),
      fakeRateLimited(httpDate),
      fakeReply({ text: 'third time', usage: { input: 1, output: 1 } }),
    );
    const clock = fakeClock();
    const r = createRouter({
      providers,
      profiles: { o: { name: 'o', provider: 'openai', model: 'gpt-5' } },
      clock,
      retry: { maxAttempts: 3 },
    });
    const served = await r.call({ ...callArgs, profile: 'o' });
    expect(served.reply.text).toBe('third time');
    expect(clock.sleeps[0]).toBe(1_250);
    // an HTTP date has whole seconds: between 3 and 4 s from now
    expect(clock.sleeps[1]).toBeGreaterThan(2_900);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(4_000);
  });

  it('retries a 500 after a jittered exponential backoff', async () => {
    fake.enqueue(
      'anthropic',
      fakeError(500),
      fakeError(503),
      fakeReply({ text: 'ok', usage: { input: 1, output: 1 } }),
    );
    const { router: r, clock } = router({ retry: { baseDelayMs: 400 } });
    await r.call({ ...callArgs, profile: 'claude' });
    // equal jitter with random() = 0.5: 400/2 + 0.5·400/2 = 300, then 800/2 + 0.5·800/2 = 600
    expect(clock.sleeps).toEqual([300, 600]);
  });

  it('treats a stream broken mid-way as retryable and serves the reply from the retry', async () => {
    fake.enqueue(
      'anthropic',
      fakeBrokenStream(4, { text: 'this will be cut off', usage: { input: 5, output: 5 } }),
      fakeReply({ text: 'complete reply', usage: { input: 5, output: 3 } }),
    );
    const { router: r } = router();
    const deltas: string[] = [];
    const out = await r.call({
      ...callArgs,
      profile: 'claude',
      onDelta: (d, info) => deltas.push(`${info.attempt}:${d}`),
    });
    expect(out.reply.text).toBe('complete reply');
    expect(out.attempts[0]).toMatchObject({ outcome: 'failed', code: 'MOE_ERR_PROVIDER_UNAVAILABLE' });
    expect(deltas.some((d) => d.startsWith('1:'))).toBe(true);
    expect(deltas.filter((d) => d.startsWith('2:')).join('')).toBe('2:complete 2:reply');
  });

  it('fails a broken stream with a retryable error when no attempt is left', async () => {
    fake.enqueue('openai', fakeBrokenStream(2, { text: 'cut short here', usage: { input: 5, output: 5 } }));
    const r = createRouter({
      providers,
      profiles: { o: { name: 'o', provider: 'openai', model: 'gpt-5' } },
      clock: fakeClock(),
      retry: { maxAttempts: 1 },
    });
    const err = await rejection(r.call({ ...callArgs, profile: 'o' }));
    expect(err.code).toBe('MOE_ERR_PROVIDER_UNAVAILABLE');
    expect(err.retryable).toBe(true);
  });

  it('times out a stream slower than the request timeout with a retryable error', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({ text: 'one two three four five six', chunkDelayMs: 100, usage: { input: 1, output: 1 } }),
    );
    const { router: r } = router({ timeoutMs: 150, retry: { maxAttempts: 1 } });
    const err = await rejection(r.call({ ...callArgs, profile: 'claude' }));
    expect(err.code).toBe('MOE_ERR_PROVIDER_TIMEOUT');
    expect(err.retryable).toBe(true);
  });

  it('opens the circuit after consecutive failures and lets the fallback provider serve', async () => {
    const { router: r, clock } = router({
      breaker: { failureThreshold: 2, cooldownMs: 10_000 },
      retry: { maxAttempts: 3 },
    });
    fake.enqueue('anthropic', fakeError(500), fakeError(500));
    fake.enqueue('openai', fakeReply({ text: 'from openai', usage: { input: 2, output: 2 } }));
    const first = await r.call({ ...callArgs, profile: 'resilient' });
    expect(first.provider).toBe('openai');
    expect(first.reply).toMatchObject({ text: 'from openai', provider: 'openai' });
    expect(first.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual([
      'anthropic:failed',
      'anthropic:failed',
      'openai:ok',
    ]);
    expect(r.health().find((b) => b.key === 'anthropic/claude-haiku-4-5')?.state).toBe('open');

    // While open, anthropic is not even asked.
    const anthropicCalls = fake.requests.filter((q) => q.route === 'anthropic').length;
    fake.enqueue('openai', fakeReply({ text: 'still openai', usage: { input: 2, output: 2 } }));
    const second = await r.call({ ...callArgs, profile: 'resilient' });
    expect(second.provider).toBe('openai');
    expect(second.attempts[0]).toMatchObject({
      provider: 'anthropic',
      outcome: 'skipped',
      code: 'MOE_ERR_CIRCUIT_OPEN',
    });
    expect(fake.requests.filter((q) => q.route === 'anthropic').length).toBe(anthropicCalls);

    // After the cooldown one probe goes through; its success closes the circuit.
    clock.advance(10_000);
    fake.enqueue('anthropic', fakeReply({ text: 'anthropic is back', usage: { input: 2, output: 2 } }));
    const third = await r.call({ ...callArgs, profile: 'resilient' });
    expect(third.provider).toBe('anthropic');
    expect(r.health().find((b) => b.key === 'anthropic/claude-haiku-4-5')?.state).toBe('closed');
  });

  it('throws CIRCUIT_OPEN with the time until the probe when every target is open', async () => {
    const { router: r } = router({
      breaker: { failureThreshold: 1, cooldownMs: 5_000 },
      retry: { maxAttempts: 1 },
    });
    fake.enqueue('anthropic', fakeError(502));
    const first = await rejection(r.call({ ...callArgs, profile: 'claude' }));
    expect(first.code).toBe('MOE_ERR_PROVIDER_UNAVAILABLE');
    const second = await rejection(r.call({ ...callArgs, profile: 'claude' }));
    expect(second.code).toBe('MOE_ERR_CIRCUIT_OPEN');
    expect(second.retryAfterMs).toBe(5_000);
  });

  it('does not retry or fall back on a request the provider rejects as malformed', async () => {
    fake.enqueue('anthropic', fakeError(400, {}, 'messages: bad'));
    const before = fake.pending('openai');
    const { router: r, clock } = router();
    const err = await rejection(r.call({ ...callArgs, profile: 'resilient' }));
    expect(err.code).toBe('MOE_ERR_PROVIDER_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.details?.status).toBe(400);
    expect(clock.sleeps).toEqual([]);
    expect(fake.pending('openai')).toBe(before);
  });

  it('stops with LLM_CANCELLED when the caller aborts, without retrying', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({ text: 'a b c d e f g h', chunkDelayMs: 50, usage: { input: 1, output: 1 } }),
    );
    const { router: r, clock } = router();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 60);
    const err = await rejection(r.call({ ...callArgs, profile: 'resilient', signal: ac.signal }));
    expect(err.code).toBe('MOE_ERR_LLM_CANCELLED');
    expect(clock.sleeps).toEqual([]);
  });

  it('returns cost and customer price of the call with the org plan markup', async () => {
    fake.enqueue('anthropic', fakeReply({ text: 'priced', usage: { input: 1_000, output: 500 } }));
    const r = createRouter({
      providers,
      profiles,
      clock: fakeClock(),
      planOf: () => ({ name: 'enterprise', markup: 3 }),
    });
    const out = await r.call({ ...callArgs, profile: 'claude' });
    expect(out).toMatchObject({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      costMicros: 3_500,
      priceMicros: 10_500,
      markup: 3,
    });
  });

  it('refuses at start-up a profile whose model has no price', () => {
    expect(() =>
      createRouter({ providers, profiles: { x: { name: 'x', provider: 'openai', model: 'gpt-unknown' } } }),
    ).toThrow(expect.objectContaining({ code: 'MOE_ERR_PRICE_UNKNOWN' }) as Error);
  });

  it('rejects an unknown profile with PROFILE_UNKNOWN', async () => {
    const { router: r } = router();
    const err = await rejection(r.call({ ...callArgs, profile: 'nope' }));
    expect(err.code).toBe('MOE_ERR_PROFILE_UNKNOWN');
  });

  it('offers only the tools the profile names', async () => {
    fake.enqueue('anthropic', fakeReply({ text: 'ok', usage: { input: 1, output: 1 } }));
    const r = createRouter({
      providers,
      profiles: {
        reader: { name: 'reader', provider: 'anthropic', model: 'claude-haiku-4-5', tools: ['read_file'] },
      },
      clock: fakeClock(),
    });
    const tool = (name: string) => ({ name, description: name, inputSchema: { type: 'object' } });
    await r.call({ ...callArgs, profile: 'reader', tools: [tool('read_file'), tool('write_file')] });
    expect((fake.requests.at(-1)!.body.tools as { name: string }[]).map((t) => t.name)).toEqual([
      'read_file',
    ]);
  });
});

describe('provider configuration', () => {
  it('serves every profile with the scripted provider when no API key is set', async () => {
    const config = providersConfigFromEnv({});
    const r = createRouter({ providers: createProviders(config), profiles: defaultProfiles(config) });
    const out = await r.call({
      ...callArgs,
      profile: 'default',
      script: [{ text: 'scripted hello' }],
    });
    expect(out.reply).toMatchObject({ text: 'scripted hello', provider: 'scripted', model: 'scripted-v1' });
    expect(out.costMicros).toBe(0);
  });

  it('reads keys and base URLs from the environment, with the Gemini and Kimi defaults', () => {
    const config = providersConfigFromEnv({
      ANTHROPIC_API_KEY: 'sk-ant',
      GEMINI_API_KEY: 'g',
      KIMI_API_KEY: 'k',
      KIMI_BASE_URL: 'https://kimi.example/v1',
      OPENAI_API_KEY: '',
    });
    expect(config).toEqual({
      anthropic: { apiKey: 'sk-ant' },
      gemini: { apiKey: 'g', baseURL: 'https://generativelanguage.googleapis.com/v1beta/openai/' },
      kimi: { apiKey: 'k', baseURL: 'https://kimi.example/v1' },
    });
    const profiles = defaultProfiles(config);
    expect(profiles.default).toMatchObject({
      provider: 'anthropic',
      fallbacks: [
        { provider: 'gemini', model: 'gemini-2.5-flash' },
        { provider: 'kimi', model: 'kimi-k2-0905-preview' },
      ],
    });
    expect([...createProviders(config).keys()].sort()).toEqual(['anthropic', 'gemini', 'kimi', 'scripted']);
  });

  it('rejects a base URL that is not a URL with MOE_ERR_CONFIG', () => {
    expect(() => providersConfigFromEnv({ OPENAI_API_KEY: 'x', OPENAI_BASE_URL: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'MOE_ERR_CONFIG' }) as Error,
    );
  });
});
