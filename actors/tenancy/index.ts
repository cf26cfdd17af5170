/** Tenancy actor kinds (team, user, project, api key, …): pure machines registered with the kernel. */
import type { AnyStateMachine } from 'xstate';

/** kind name → machine; their command schemas live in schemas/tenancy.ts under the same kind name. */
export const TENANCY_MACHINES: Record<string, AnyStateMachine> = {};
