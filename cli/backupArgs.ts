/**
 * The checks of the backup commands' arguments (`moe backup list|verify|prune`, `moe restore`):
 * `<org>/<ws>`, `--at TIME`, `--backup ID`. Pure, and light to load: cli/moe.ts runs them before it
 * imports the command's module (which loads the workspace-node and the storage clients), so a bad
 * argument costs no module loading. Each failure is MOE_ERR_USAGE.
 */
import { errors } from './errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `<org>/<ws>` → its parts; MOE_ERR_USAGE otherwise. */
export function parseWorkspaceArg(arg: string | undefined, usage: string): { org: string; ws: string } {
  const [org, ws, ...more] = (arg ?? '').split('/');
  if (!org || !ws || more.length > 0 || !NAME.test(org) || !NAME.test(ws) || ws.startsWith('.'))
    throw errors.USAGE(`${usage} (the workspace as <org>/<workspace>, got ${JSON.stringify(arg ?? '')})`);
  return { org, ws };
}

const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const RELATIVE = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--at`: an ISO 8601 date or time (UTC unless it names a zone: backup times are UTC), or a
 * duration ago (`90s`, `30m`, `2h`, `7d`). MOE_ERR_USAGE otherwise.
 */
export function parseAt(value: string, now: Date): Date {
  const v = value.trim();
  const relative = RELATIVE.exec(v);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  if (ISO_8601.test(v)) {
    const iso = v.replace(' ', 'T');
    // a date alone is UTC midnight already; a time without a zone is taken as UTC too
    const utc = iso.length > 10 && !/(?:Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? `${iso}Z` : iso;
    const t = Date.parse(utc);
    // Date.parse rolls 2026-02-30 over into March: a day the month does not have is refused
    const [y, m, d] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
    const real = new Date(Date.UTC(y, m - 1, d));
    if (Number.isFinite(t) && real.getUTCMonth() === m - 1 && real.getUTCDate() === d) return new Date(t);
  }
  throw errors.USAGE(
    `--at takes an ISO 8601 time (2026-12-03T04:00:00Z, 2026-12-03) or a duration ago (30m, 2h, 7d), got ${JSON.stringify(value)}`,
  );
}

/** `--backup`: a backup id as `moe backup list` prints it. */
export function checkBackupId(value: string): string {
  if (!BACKUP_ID.test(value)) throw errors.USAGE(`--backup takes a backup id, got ${JSON.stringify(value)}`);
  return value;
}
