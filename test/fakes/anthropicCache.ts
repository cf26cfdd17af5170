/**
 * Anthropic's prompt cache, emulated for the wire fake (`startFakeProviderServer({ respond })`):
 * usage is computed from the request body the way the Messages API bills it. The request is a
 * sequence of blocks — tools, system, then every message's content blocks — and a block with
 * `cache_control` is a breakpoint. At each breakpoint the prefix up to it is looked up:
 *
 *   cache_read_input_tokens      the longest breakpoint prefix written by an earlier request
 *   cache_creation_input_tokens  the rest up to the last breakpoint (now written)
 *   input_tokens                 everything after the last breakpoint
 *
 * Tokens are counted as four characters of the blocks' JSON each (`cache_control` left out). A
 * request without breakpoints is all `input_tokens`, as with the real API.
 */
import type { FakeResponse, FakeRoute } from './providerWire.js';
import { fakeReply } from './providerWire.js';

const tokens = (chars: number) => Math.ceil(chars / 4);

function blocksOf(body: Record<string, unknown>): { json: string; breakpoint: boolean }[] {
  const out: { json: string; breakpoint: boolean }[] = [];
  const push = (b: unknown) => {
    const { cache_control, ...rest } = (typeof b === 'object' && b !== null ? b : { text: b }) as Record<
      string,
      unknown
    >;
    out.push({ json: JSON.stringify(rest), breakpoint: cache_control !== undefined });
  };
  for (const t of (body.tools as unknown[] | undefined) ?? []) push(t);
  const system = body.system;
  if (typeof system === 'string') push(system);
  else for (const b of (system as unknown[] | undefined) ?? []) push(b);
  for (const m of (body.messages as { role: string; content: unknown }[] | undefined) ?? []) {
    if (typeof m.content === 'string') push({ role: m.role, text: m.content });
    else for (const b of m.content as unknown[]) push({ role: m.role, ...(b as object) });
  }
  return out;
}

export interface PromptCache {
  /** the usage of one request (and the cache it leaves behind) */
  usageOf(body: Record<string, unknown>): { input: number; cacheRead: number; cacheWrite: number };
  /** a `respond` for the wire fake: answers `text` with the usage the cache gives */
  respond(
    text: (body: Record<string, unknown>) => string,
  ): (route: FakeRoute, body: Record<string, unknown>) => FakeResponse | undefined;
}

export function anthropicPromptCache(): PromptCache {
  const written = new Set<string>();
  const usageOf = (body: Record<string, unknown>) => {
    const blocks = blocksOf(body);
    let prefix = '';
    let read = 0;
    let lastBreak = 0;
    const prefixes: string[] = [];
    for (const b of blocks) {
      prefix += b.json;
      if (!b.breakpoint) continue;
      prefixes.push(prefix);
      lastBreak = prefix.length;
      if (written.has(prefix)) read = prefix.length;
    }
    for (const p of prefixes) written.add(p);
    const total = blocks.reduce((n, b) => n + b.json.length, 0);
    return {
      input: tokens(total - lastBreak),
      cacheRead: tokens(read),
      cacheWrite: tokens(lastBreak - read),
    };
  };
  return {
    usageOf,
    respond: (text) => (route, body) =>
      route === 'anthropic'
        ? fakeReply({ text: text(body), usage: { ...usageOf(body), output: 20 } })
        : undefined,
  };
}
