/** A fresh id for a command the gateway sends on a caller's behalf (not derived from an Idempotency-Key). */
import { randomUUID } from 'node:crypto';

export function newCommandId(): string {
  return `gw-${randomUUID()}`;
}
