/**
 * A local HTTP server that speaks the providers' wire protocols, so tests drive the REAL SDKs
 * (`@anthropic-ai/sdk`, `openai`) through their real HTTP, SSE parsing and error paths:
 *
 *   POST /v1/messages          Anthropic Messages API — SSE events message_start,
 *                              content_block_start/delta/stop, message_delta, message_stop (+ ping),
 *                              or a whole Message when the request does not stream
 *   POST /v1/chat/completions  OpenAI Chat Completions — `data:` chunks, a usage chunk when
 *                              `stream_options.include_usage`, `data: [DONE]`; or a whole completion
 *
 * Each route has a FIFO queue of scripted responses: a reply (text, tool calls, usage, optional delay
 * between chunks), an HTTP error (429 with retry-after, 500, …), or a stream that breaks (socket
 * destroyed after N events). A queued response may be held (`until`) while a test breaks something
 * else mid-call (e.g. kills the nats-server). An empty queue answers 418 so a test that forgot a response fails loudly
 * instead of retrying. Every request received is recorded for assertions.
 *
 * Usage numbers are given as the WIRE reports them: for Anthropic `input` is `input_tokens`
 * (cache excluded); for OpenAI `input` is `prompt_tokens` (cached tokens included) and `cacheRead`
 * is `prompt_tokens_details.cached_tokens`.
 *
 * @example
 *   const fake = await startFakeProviderServer();
 *   fake.enqueue('anthropic', fakeReply({ text: 'hi', usage: { input: 10, output: 2 } }));
 *   const provider = anthropicProvider({ apiKey: 'test', baseURL: fake.anthropicBaseURL });
 *   ...
 *   await fake.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeRoute = 'anthropic' | 'openai';

export interface FakeUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
}

export interface FakeToolCall {
  readonly id?: string;
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export interface FakeReply {
  readonly kind: 'reply';
  readonly text?: string;
  readonly toolCalls?: readonly FakeToolCall[];
  /** wire stop reason; default end_turn/tool_use (Anthropic) or stop/tool_calls (OpenAI) */
  readonly stopReason?: string;
  readonly usage?: FakeUsage;
  readonly model?: string;
  /** pause between streamed events */
  readonly chunkDelayMs?: number;
  /** OpenAI streaming: leave out the usage chunk even when asked for it */
  readonly omitUsage?: boolean;
}

export interface FakeHttpError {
  readonly kind: 'error';
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly message?: string;
}

export interface FakeBrokenStream {
  readonly kind: 'break';
  /** SSE events written before the socket is destroyed */
  readonly afterEvents: number;
  readonly reply: FakeReply;
}

export type FakeResponse = (FakeReply | FakeHttpError | FakeBrokenStream) & {
  /** the response is written once this settles (the request is recorded at once) */
  readonly until?: Promise<unknown>;
};

export interface ReceivedRequest {
  readonly route: FakeRoute;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  readonly at: number;
}

export interface CompletedRequest extends ReceivedRequest {
  /** when the last byte of the response was handed to the socket */
  readonly finishedAt: number;
}

export interface FakeProviderServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** for `new Anthropic({ baseURL })` */
  readonly anthropicBaseURL: string;
  /** for `new OpenAI({ baseURL })` */
  readonly openaiBaseURL: string;
  readonly requests: readonly ReceivedRequest[];
  /** the requests whose response was written in full (not cut off by the client going away) */
  readonly completed: readonly CompletedRequest[];
  enqueue(route: FakeRoute, ...responses: FakeResponse[]): void;
  /** responses still queued */
  pending(route: FakeRoute): number;
  close(): Promise<void>;
}

export function fakeReply(reply: Omit<FakeReply, 'kind'> = {}): FakeReply {
  return { kind: 'reply', ...reply };
}

export function fakeError(
  status: number,
  headers: Record<string, string> = {},
  message?: string,
): FakeHttpError {
  return { kind: 'error', status, headers, ...(message !== undefined ? { message } : {}) };
}

export function fakeRateLimited(retryAfter: string, extra: Record<string, string> = {}): FakeHttpError {
  return fakeError(429, { 'retry-after': retryAfter, ...extra }, 'rate limited');
}

export function fakeBrokenStream(
  afterEvents: number,
  reply: Omit<FakeReply, 'kind'> = { text: 'partial reply' },
): FakeBrokenStream {
  return { kind: 'break', afterEvents, reply: fakeReply(reply) };
}

type SseEvent = { event?: string; data: string };

const ZERO: Required<FakeUsage> = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

function thirds(s: string): string[] {
  const n = Math.ceil(s.length / 3);
  return [s.slice(0, n), s.slice(n, 2 * n), s.slice(2 * n)].filter((p) => p !== '');
}

function anthropicUsage(u: Required<FakeUsage>) {
  return {
    input_tokens: u.input,
    output_tokens: u.output,
    cache_read_input_tokens: u.cacheRead,
    cache_creation_input_tokens: u.cacheWrite,
  };
}

function anthropicMessage(r: FakeReply, model: string, seq: number) {
  const usage = { ...ZERO, ...r.usage };
  const content: unknown[] = [];
  if (r.text) content.push({ type: 'text', text: r.text, citations: null });
  (r.toolCalls ?? []).forEach((c, i) =>
    content.push({ type: 'tool_use', id: c.id ?? `toolu_${seq}_${i}`, name: c.name, input: c.input }),
  );
  return {
    id: `msg_${seq}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: r.stopReason ?? (r.toolCalls?.length ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}

function anthropicEvents(r: FakeReply, model: string, seq: number): SseEvent[] {
  const usage = { ...ZERO, ...r.usage };
  const ev = (type: string, body: Record<string, unknown>): SseEvent => ({
    event: type,
    data: JSON.stringify({ type, ...body }),
  });
  const out: SseEvent[] = [
    ev('message_start', {
      message: {
        ...anthropicMessage({ ...r, text: '', toolCalls: [] }, model, seq),
        stop_reason: null,
        usage: { ...anthropicUsage(usage), output_tokens: 1 },
      },
    }),
    ev('ping', {}),
  ];
  let index = 0;
  if (r.text) {
    out.push(
      ev('content_block_start', { index, content_block: { type: 'text', text: '', citations: null } }),
    );
    for (const w of words(r.text))
      out.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: w } }));
    out.push(ev('content_block_stop', { index }));
    index++;
  }
  (r.toolCalls ?? []).forEach((c, i) => {
    out.push(
      ev('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: c.id ?? `toolu_${seq}_${i}`, name: c.name, input: {} },
      }),
    );
    for (const part of thirds(JSON.stringify(c.input))) {
      out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }));
    }
    out.push(ev('content_block_stop', { index }));
    index++;
  });
  out.push(
    ev('message_delta', {
      delta: {
        stop_reason: r.stopReason ?? (r.toolCalls?.length ? 'tool_use' : 'end_turn'),
        stop_sequence: null,
      },
      usage: { output_tokens: usage.output },
    }),
  );
  out.push(ev('message_stop', {}));
  return out;
}

function openAiUsage(u: Required<FakeUsage>) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
  };
}

function openAiCompletion(r: FakeReply, model: string, seq: number) {
  const calls = (r.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? `call_${seq}_${i}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.input) },
  }));
  return {
    id: `chatcmpl-${seq}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: r.text ?? null,
          refusal: null,
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        finish_reason: r.stopReason ?? (calls.length ? 'tool_calls' : 'stop'),
        logprobs: null,
      },
    ],
    usage: openAiUsage({ ...ZERO, ...r.usage }),
  };
}

function openAiEvents(r: FakeReply, model: string, seq: number, includeUsage: boolean): SseEvent[] {
  const base = { id: `chatcmpl-${seq}`, object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): SseEvent => ({
    data: JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] }),
  });
  const out: SseEvent[] = [chunk({ role: 'assistant', content: '' })];
  for (const w of words(r.text ?? '')) out.push(chunk({ content: w }));
  (r.toolCalls ?? []).forEach((c, i) => {
    out.push(
      chunk({
        tool_calls: [
          {
            index: i,
            id: c.id ?? `call_${seq}_${i}`,
            type: 'function',
            function: { name: c.name, arguments: '' },
          },
        ],
      }),
    );
    for (const part of thirds(JSON.stringify(c.input))) {
      out.push(chunk({ tool_calls: [{ index: i, function: { arguments: part } }] }));
    }
  });
  out.push(chunk({}, r.stopReason ?? (r.toolCalls?.length ? 'tool_calls' : 'stop')));
  if (includeUsage && !r.omitUsage) {
    out.push({ data: JSON.stringify({ ...base, choices: [], usage: openAiUsage({ ...ZERO, ...r.usage }) }) });
  }
  out.push({ data: '[DONE]' });
  return out;
}

function errorBody(route: FakeRoute, e: FakeHttpError) {
  const message = e.message ?? `fake error ${e.status}`;
  if (route === 'anthropic') {
    const type =
      e.status === 429
        ? 'rate_limit_error'
        : e.status >= 500
          ? 'api_error'
          : e.status === 401
            ? 'authentication_error'
            : 'invalid_request_error';
    return { type: 'error', error: { type, message } };
  }
  return {
    error: {
      message,
      type: e.status === 429 ? 'rate_limit_exceeded' : 'server_error',
      code: null,
      param: null,
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeSse(
  res: ServerResponse,
  events: SseEvent[],
  delayMs: number,
  breakAfter?: number,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const [i, e] of events.entries()) {
    if (breakAfter !== undefined && i >= breakAfter) {
      // Let the written events reach the client, then cut the connection mid-body.
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    if (res.destroyed) return;
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`);
    if (delayMs > 0) await sleep(delayMs);
  }
  res.end();
}

export interface FakeServerOptions {
  /** answers a request when its route's queue is empty (e.g. a reply computed from the body) */
  readonly respond?: (route: FakeRoute, body: Record<string, unknown>) => FakeResponse | undefined;
}

export async function startFakeProviderServer(options: FakeServerOptions = {}): Promise<FakeProviderServer> {
  const queues: Record<FakeRoute, FakeResponse[]> = { anthropic: [], openai: [] };
  const requests: ReceivedRequest[] = [];
  const completed: CompletedRequest[] = [];
  let seq = 0;

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const route: FakeRoute | undefined =
        req.method === 'POST' && path === '/v1/messages'
          ? 'anthropic'
          : req.method === 'POST' && path === '/v1/chat/completions'
            ? 'openai'
            : undefined;
      if (!route) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const body = await readBody(req);
      const received: ReceivedRequest = { route, path, headers: req.headers, body, at: Date.now() };
      requests.push(received);
      res.on('finish', () => completed.push({ ...received, finishedAt: Date.now() }));
      const next = queues[route].shift() ?? options.respond?.(route, body);
      const n = ++seq;
      if (next?.until) await next.until.catch(() => undefined);
      if (!next) {
        res
          .writeHead(418, { 'content-type': 'application/json', 'x-should-retry': 'false' })
          .end(
            JSON.stringify(
              errorBody(route, { kind: 'error', status: 418, message: 'fake: no response queued' }),
            ),
          );
        return;
      }
      if (next.kind === 'error') {
        res
          .writeHead(next.status, { 'content-type': 'application/json', ...next.headers })
          .end(JSON.stringify(errorBody(route, next)));
        return;
      }
      const reply = next.kind === 'reply' ? next : next.reply;
      const model = reply.model ?? (typeof body.model === 'string' ? body.model : 'fake-model');
      const streaming = body.stream === true;
      const breakAfter = next.kind === 'break' ? next.afterEvents : undefined;
      if (!streaming) {
        if (breakAfter !== undefined) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"id":');
          await sleep(20);
          res.socket?.destroy();
          return;
        }
        const whole =
          route === 'anthropic' ? anthropicMessage(reply, model, n) : openAiCompletion(reply, model, n);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(whole));
        return;
      }
      const includeUsage =
        (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      const events =
        route === 'anthropic'
          ? anthropicEvents(reply, model, n)
          : openAiEvents(reply, model, n, includeUsage);
      await writeSse(res, events, reply.chunkDelayMs ?? 0, breakAfter);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    anthropicBaseURL: url,
    openaiBaseURL: `${url}/v1`,
    requests,
    completed,
    enqueue: (route, ...responses) => void queues[route].push(...responses),
    pending: (route) => queues[route].length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
