/**
 * The seam between the router and cluster-wide limits: before a provider call the router asks the
 * gate to reserve the call's estimated tokens and customer price; after it, it settles the real
 * numbers (or releases the reservation when the call failed). `workspace-node/limits` implements
 * it over JetStream KV; without a gate the router does not limit.
 */
export interface GateRequest {
  readonly org: string;
  /** the calling actor's workspace: its budget applies too */
  readonly ws?: string;
  /** the calling task's project (from its id), when it has one: its budget applies too */
  readonly project?: string;
  readonly provider: string;
  readonly model: string;
  /** estimated input + output tokens of the call */
  readonly tokens: number;
  /** estimated customer price of the call, µ$ */
  readonly priceMicros: number;
}

export interface GateTicket {
  /** the call succeeded: charge its real numbers instead of the estimate */
  settle(actual: { readonly tokens: number; readonly priceMicros: number }): Promise<void>;
  /** the call failed: give the estimate back (the request itself stays counted) */
  release(): Promise<void>;
}

export interface CallGate {
  /** throws MOE_ERR_RATE_LIMIT_EXCEEDED (retryable, with retryAfterMs) or MOE_ERR_BUDGET_EXCEEDED
   *  (org, workspace or project budget: `details.scope`) */
  reserve(request: GateRequest): Promise<GateTicket>;
}
