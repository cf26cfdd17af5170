/**
 * Who is a platform operator, for the console (console/identity.ts) and for granting the
 * `platform-operator` role to a new API key (routes/apiKeys.ts): a user whose email is in
 * `MOE_OPERATORS`, an API key whose id is in `MOE_OPERATOR_KEYS` (the bootstrap: env config), or an
 * API key created with `role: "platform-operator"` by an operator (journaled with the key, so no
 * env config is needed; revoking the key ends it, as for any key). The operator token
 * (`MOE_OPERATOR_TOKEN`) is an operator of the console only: it is not a REST credential.
 */
import type { Principal } from './principal.js';
import type { TenancyProjection } from './projection.js';

export interface PlatformOperators {
  /** lower-cased emails of the users who are operators (`MOE_OPERATORS`) */
  readonly emails: ReadonlySet<string>;
  /** ids of the API keys that are operators by env config (`MOE_OPERATOR_KEYS`) */
  readonly keyIds: ReadonlySet<string>;
}

/** Whether `p` is a platform operator (a revoked key never authenticates, so it is not). */
export function isPlatformOperator(
  ops: PlatformOperators,
  tenancy: TenancyProjection,
  p: Principal,
): boolean {
  if (p.kind === 'apikey') {
    if (ops.keyIds.has(p.keyId)) return true;
    const key = tenancy.apiKeys.get(p.keyId);
    return key !== undefined && !key.revoked && key.platformOperator;
  }
  const email = tenancy.users.get(p.userId)?.email.toLowerCase();
  return email !== undefined && ops.emails.has(email);
}
