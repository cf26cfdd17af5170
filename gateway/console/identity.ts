/**
 * Who is looking at the console, and what they may see and do. Three kinds of caller:
 *
 * - the **operator token** (`MOE_OPERATOR_TOKEN`, for standalone use): a platform operator;
 * - a **user** (a JWT from `/auth/login`) whose email is in the platform-operator list
 *   (`MOE_OPERATORS`): a platform operator too;
 * - an **API key** whose id is in the operator-key list (`MOE_OPERATOR_KEYS`, the bootstrap), or
 *   that was created with the `platform-operator` role by an operator (../platformOperators.ts):
 *   a platform operator, for scripts and monitoring (revoking the key ends it, as for any key);
 * - any other user or API key: an org member, who sees only the orgs it belongs to, with its role
 *   there (an API key's role is capped as everywhere else, access.ts).
 *
 * An operator sees every org and may do everything; a member acts by its role in the org the
 * thing belongs to: deciding on a task needs `member`, dead letters need `admin`. What a caller may
 * not see does not exist for it (404, like the rest of the API).
 */
import { atLeast } from '../access.js';
import type { Access, Principal } from '../access.js';
import type { TenancyProjection } from '../projection.js';
import type { OrgRole } from '../../schemas/index.js';

export type ConsoleRole = OrgRole | 'operator';

export interface ConsoleViewer {
  /** what the page shows as "signed in as" */
  readonly name: string;
  /** who the audit log names: a user id, or `operator` */
  readonly by: string;
  readonly operator: boolean;
  /** the caller's role in `org` (undefined: it cannot see the org) */
  role(org: string): ConsoleRole | undefined;
  /** the orgs it sees */
  orgs(): string[];
  /** whether its role in `org` is at least `min` (operators: always) */
  may(org: string, min: OrgRole): boolean;
}

export function operatorViewer(
  tenancy: TenancyProjection,
  name = 'operator',
  by = 'operator',
): ConsoleViewer {
  return {
    name,
    by,
    operator: true,
    role: (org) => (org === '' ? undefined : 'operator'),
    orgs: () => [...tenancy.orgs.keys()],
    may: () => true,
  };
}

export function memberViewer(p: Principal, access: Access, tenancy: TenancyProjection): ConsoleViewer {
  const user = tenancy.users.get(p.userId);
  const name = (user?.email ?? p.userId) + (p.kind === 'apikey' ? ` (API key ${p.keyId})` : '');
  return {
    name,
    by: p.userId,
    operator: false,
    role: (org) => access.orgRole(p, org),
    orgs: () => access.orgsOf(p).map((o) => o.org),
    may: (org, min) => {
      const role = access.orgRole(p, org);
      return role !== undefined && atLeast(role, min);
    },
  };
}

/** The operator API key ids from a comma-separated list (`MOE_OPERATOR_KEYS`). */
export function operatorKeyIds(list: string | undefined): Set<string> {
  return new Set(
    (list ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** The platform-operator emails from a comma-separated list (`MOE_OPERATORS`), lower-cased. */
export function operatorEmails(list: string | undefined): Set<string> {
  return new Set(
    (list ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}
