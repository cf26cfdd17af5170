/**
 * The error model shared by every process: a {@link MoeError} has a stable code (`MOE_ERR_…`),
 * says whether the runtime should retry it, and (for HTTP) which status it maps to. Each process
 * folder keeps ONE catalogue built with {@link defineErrors}; docs/errors.md is generated from all
 * catalogues and a test fails when it drifts.
 *
 * The kernel decides retry or dead-letter for a command whose turn failed from `retryable` alone
 * (see actors/kernel/disposition.ts), the way Restate splits TerminalError from RetryableError.
 */

export interface ErrorSpec {
  /** stable code, `MOE_ERR_` + upper snake case */
  readonly code: string;
  /** what went wrong, in words a user can act on */
  readonly message: string;
  /** HTTP status when surfaced by the gateway (default 500) */
  readonly status?: number;
  /** true: the operation may succeed if retried (network, rate limit, 5xx) */
  readonly retryable?: boolean;
}

export class MoeError extends Error {
  override name = 'MoeError';
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  /** a server-provided hint (retry-after) in ms */
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    spec: ErrorSpec,
    detail?: string,
    options: { cause?: unknown; retryAfterMs?: number; details?: Record<string, unknown> } = {},
  ) {
    super(detail ? `${spec.message}: ${detail}` : spec.message, { cause: options.cause });
    this.code = spec.code;
    this.status = spec.status ?? 500;
    this.retryable = spec.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export type ErrorFactory = ((
  detail?: string,
  options?: { cause?: unknown; retryAfterMs?: number; details?: Record<string, unknown> },
) => MoeError) & { readonly spec: ErrorSpec };

export type Catalogue<K extends string> = { readonly [P in K]: ErrorFactory };

/**
 * @example
 *   export const errors = defineErrors('workspace-node', { NOT_FOUND: { code: 'MOE_ERR_NOT_FOUND', message: 'no such file', status: 404 } });
 *   throw errors.NOT_FOUND('a.txt');
 */
export function defineErrors<K extends string>(
  processName: string,
  specs: { readonly [P in K]: ErrorSpec },
): Catalogue<K> {
  const out = {} as Record<K, ErrorFactory>;
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    if (!/^MOE_ERR_[A-Z0-9_]+$/.test(spec.code)) throw new Error(`bad error code ${spec.code}`);
    const factory = ((detail?: string, options?: ConstructorParameters<typeof MoeError>[2]) =>
      new MoeError(spec, detail, options)) as ErrorFactory;
    Object.defineProperty(factory, 'spec', { value: spec });
    out[key] = factory;
  }
  registeredCatalogues.set(processName, { ...(registeredCatalogues.get(processName) ?? {}), ...specs });
  return out;
}

const registeredCatalogues = new Map<string, Record<string, ErrorSpec>>();

/** Every catalogue defined so far (import the processes' `errors.ts` first). */
export function allCatalogues(): ReadonlyMap<string, Record<string, ErrorSpec>> {
  return registeredCatalogues;
}

export function isMoeError(err: unknown): err is MoeError {
  return err instanceof MoeError;
}
