/**
 * Size caps of effect results, well under NATS max_payload so a result always fits in a command
 * and its turn in a journal entry (schemas/limits.ts has the numbers, docs/agents.md explains them).
 * Sizes are measured as JSON-escaped UTF-8 bytes: a file of quotes doubles when escaped, control
 * characters grow sixfold.
 *
 *   tool output  longer output is cut, with a marker saying so and how big it was
 *   LLM reply    its text is cut the same way; tool calls whose inputs alone exceed the cap fail
 *                the call with MOE_ERR_REPLY_TOO_LARGE (a cut tool input would do the wrong thing)
 */
import type { LlmReply } from '../../actors/index.js';
import { jsonBytes, MAX_LLM_REPLY_BYTES, MAX_TOOL_OUTPUT_BYTES } from '../../schemas/index.js';
import { errors } from '../errors.js';

const escapedBytes = (s: string): number => jsonBytes(JSON.stringify(s));

function marker(bytes: number, cap: number): string {
  return `\n[… truncated by MOE: ${bytes} bytes JSON-escaped, cap ${cap}]`;
}

/** `text` whole if its escaped size is at most `maxBytes`, else its longest prefix that fits with a marker. */
export function truncateEscaped(text: string, maxBytes: number): string {
  const bytes = escapedBytes(text);
  if (bytes <= maxBytes) return text;
  const tail = marker(bytes, maxBytes);
  const room = maxBytes - escapedBytes(tail) + 2; // both quote pairs counted once
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (escapedBytes(text.slice(0, mid)) <= room) lo = mid;
    else hi = mid - 1;
  }
  const code = text.charCodeAt(lo - 1);
  if (lo > 0 && code >= 0xd800 && code <= 0xdbff) lo--; // never split a surrogate pair
  return text.slice(0, lo) + tail;
}

export function capToolOutput(output: string): string {
  return truncateEscaped(output, MAX_TOOL_OUTPUT_BYTES);
}

/** The reply within {@link MAX_LLM_REPLY_BYTES}: text cut if need be; throws when its tool calls alone exceed it. */
export function capReply<R extends LlmReply>(reply: R): R {
  const total = jsonBytes(JSON.stringify(reply));
  if (total <= MAX_LLM_REPLY_BYTES) return reply;
  const rest = total - escapedBytes(reply.text);
  const room = MAX_LLM_REPLY_BYTES - rest;
  if (room < 1024) throw errors.REPLY_TOO_LARGE(`${total} bytes JSON-escaped, cap ${MAX_LLM_REPLY_BYTES}`);
  return { ...reply, text: truncateEscaped(reply.text, room) };
}
