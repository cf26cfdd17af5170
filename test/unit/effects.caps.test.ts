/**
 * Tool outputs and LLM replies stay under their caps, measured JSON-escaped: long text is cut with
 * a marker (never mid surrogate pair), and a reply whose tool calls alone exceed the cap fails with
 * MOE_ERR_REPLY_TOO_LARGE rather than running a cut tool input.
 */
import { describe, expect, it } from 'vitest';
import type { LlmReply } from '../../actors/index.js';
import { MAX_LLM_REPLY_BYTES, MAX_TOOL_OUTPUT_BYTES } from '../../schemas/index.js';
import { capReply, capToolOutput, truncateEscaped } from '../../workspace-node/effects/caps.js';

const escaped = (s: string) => Buffer.byteLength(JSON.stringify(s));
const reply = (text: string, input: Record<string, unknown> = {}): LlmReply => ({
  text,
  toolCalls: [{ id: 'c1', name: 'write_file', input }] as LlmReply['toolCalls'],
  stopReason: 'tool_use',
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
  provider: 'scripted',
  model: 'm',
});

describe('effect result caps', () => {
  it('keeps short output whole and cuts output that grows past the cap when escaped', () => {
    expect(capToolOutput('hello')).toBe('hello');
    const quotes = '"'.repeat(100_000); // 100 KB raw, 200 KB escaped
    const cut = capToolOutput(quotes);
    expect(escaped(cut)).toBeLessThanOrEqual(MAX_TOOL_OUTPUT_BYTES);
    expect(escaped(cut)).toBeGreaterThan(MAX_TOOL_OUTPUT_BYTES - 200);
    expect(cut).toMatch(/\[… truncated by MOE: 200002 bytes JSON-escaped, cap 131072\]$/);
  });

  it('never cuts between the halves of a surrogate pair', () => {
    const cut = truncateEscaped('😀'.repeat(1_000), 1_001);
    const body = cut.slice(0, cut.indexOf('\n[…'));
    expect(body.length % 2).toBe(0);
    expect(escaped(cut)).toBeLessThanOrEqual(1_001);
  });

  it('cuts a long reply text and refuses a reply whose tool calls alone are too large', () => {
    const long = capReply(reply('x'.repeat(300_000)));
    expect(Buffer.byteLength(JSON.stringify(long))).toBeLessThanOrEqual(MAX_LLM_REPLY_BYTES);
    expect(long.text).toContain('truncated by MOE');
    expect(long.toolCalls).toHaveLength(1);
    expect(() => capReply(reply('ok', { content: '"'.repeat(100_000) }))).toThrow(
      expect.objectContaining({ code: 'MOE_ERR_REPLY_TOO_LARGE' }),
    );
  });
});
