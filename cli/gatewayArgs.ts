/**
 * The flags and checks shared by the CLI commands that work over the gateway's REST (`moe usage`,
 * `moe invoices`, `moe budgets`, `moe webhooks`; the requests themselves: cli/gatewayClient.ts):
 * `--json --gateway URL --token T --timeout MS` with their env vars and defaults, the one optional
 * action word, the string flags given, and the checks of an action and of a name flag (--org O,
 * --id HOOK). Every bad value is MOE_ERR_USAGE (or MOE_ERR_CONFIG for a bad env var).
 */
import { errors } from './errors.js';
import type { GatewayTarget } from './gatewayClient.js';
import { pick, positiveInt } from './options.js';

/** parseArgs options of every gateway command, beside its own. */
export const GATEWAY_OPTIONS = {
  json: { type: 'boolean', default: false },
  gateway: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/**
 * The gateway to ask and how, from the flags: --gateway over MOE_GATEWAY_URL (default
 * http://127.0.0.1:8080), --token over MOE_TOKEN, --timeout in ms (default 10000); and --json.
 */
export function gatewayTarget(values: Record<string, unknown>): GatewayTarget & { json: boolean } {
  const token = pick(values.token, '--token', 'MOE_TOKEN', '').raw;
  return {
    json: Boolean(values.json),
    gatewayUrl: pick(values.gateway, '--gateway', 'MOE_GATEWAY_URL', 'http://127.0.0.1:8080').raw,
    ...(token ? { token } : {}),
    timeoutMs: positiveInt(pick(values.timeout, '--timeout', undefined, '10000')),
  };
}

/** The one action word (`list` when none), or MOE_ERR_USAGE with `usage` when more are given. */
export function actionWord(positionals: readonly string[], usage: string): string {
  if (positionals.length > 1) throw errors.USAGE(usage);
  return positionals[0] ?? 'list';
}

/** The string flags given, under their argument names: `{ limitUsd: 'limit-usd' }` → `{ limitUsd }`. */
export function givenFlags<K extends string>(
  values: Record<string, unknown>,
  flags: Readonly<Record<K, string>>,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [key, flag] of Object.entries(flags) as [K, string][]) {
    const v = values[flag];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** `action` must be one of `actions` of `moe <command>`, else MOE_ERR_USAGE. */
export function checkAction(command: string, actions: readonly string[], action: string): void {
  if (!actions.includes(action))
    throw errors.USAGE(`moe ${command} takes ${actions.join(', ')}, got "${action}"`);
}

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** An org, workspace, project or endpoint id given to `flag` (`--org`), else MOE_ERR_USAGE. */
export function checkName(flag: string, v: string): string {
  if (!NAME_RE.test(v)) throw errors.USAGE(`${flag} must match [A-Za-z0-9_-]{1,64}, got "${v}"`);
  return v;
}

/** Rows as aligned columns, two spaces apart, no trailing blanks (the first row is the header). */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
