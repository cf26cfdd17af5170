/**
 * Size limits of the wire contract, all well under NATS `max_payload` (1 MiB by default):
 *
 *   MAX_COMMAND_BYTES       a command's body as published to MOE_CMD; larger ones are dead-lettered
 *                           at intake with MOE_ERR_COMMAND_TOO_LARGE
 *   MAX_TOOL_OUTPUT_BYTES   a tool's output, JSON-escaped; longer output is cut with a marker
 *   MAX_LLM_REPLY_BYTES     an LLM reply (text + tool calls), JSON-escaped; text is cut with a marker,
 *                           tool calls that alone exceed it fail the call (MOE_ERR_REPLY_TOO_LARGE)
 *
 * A journal entry is split by bytes to fit the server's `max_payload` less {@link PAYLOAD_HEADROOM_BYTES}
 * for headers; a single turn that still cannot fit is refused (see actors/kernel/turnBatch.ts).
 */

export const MAX_COMMAND_BYTES = 256 * 1024;
export const MAX_TOOL_OUTPUT_BYTES = 128 * 1024;
export const MAX_LLM_REPLY_BYTES = 192 * 1024;
/** nats-server's default `max_payload`, used while the server's INFO is not known */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** room kept under `max_payload` for the message headers (Nats-Msg-Id, expected sequence) */
export const PAYLOAD_HEADROOM_BYTES = 8 * 1024;

/** The most bytes one journal entry may have on a server with this `max_payload`. */
export function entryBudget(maxPayload: number | undefined): number {
  return Math.max(1024, (maxPayload ?? DEFAULT_MAX_PAYLOAD) - PAYLOAD_HEADROOM_BYTES);
}

/** UTF-8 length of a JSON text. */
export function jsonBytes(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}

/** True for the client's refusal to publish a message over the server's `max_payload`. */
export function isMaxPayloadError(err: unknown): boolean {
  return err instanceof Error && /max_payload|MAX_PAYLOAD/.test(err.message);
}
