/**
 * Tool-call arguments arrive as JSON text (whole, or accumulated from streamed fragments). This
 * parses them into the object our `ToolCall.input` requires; anything else is a bad response
 * from the provider (retryable: the next sample is usually well-formed).
 */
import { errors } from '../errors.js';

export function parseToolInput(json: string, where: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw errors.PROVIDER_BAD_RESPONSE(`${where}: tool input is not valid JSON`, { cause });
  }
  return asToolInput(value, where);
}

export function asToolInput(value: unknown, where: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw errors.PROVIDER_BAD_RESPONSE(`${where}: tool input is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
