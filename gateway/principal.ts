/**
 * Who is calling: a user (JWT) or an API key (scoped to one org, optionally one project, with a
 * role). Its own module so what only needs the caller's identity (idempotency keys, stream slots)
 * does not depend on the access checks and the tenancy projection behind them.
 */
import type { OrgRole } from '../schemas/index.js';

export type Principal =
  | { readonly kind: 'user'; readonly userId: string; readonly jti: string; readonly exp: number }
  | {
      readonly kind: 'apikey';
      readonly keyId: string;
      readonly userId: string;
      readonly org: string;
      readonly role: OrgRole;
      readonly project: string | null;
    };
