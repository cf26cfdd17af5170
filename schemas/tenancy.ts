/**
 * Command data schemas of the tenancy actor kinds (team, user, project, api key, …), keyed by
 * kind then command type. Merged into COMMANDS_BY_KIND; filled in by the tenancy work.
 */
import type { TSchema } from '@sinclair/typebox';

export const TENANCY_COMMANDS_BY_KIND: Record<string, Record<string, TSchema>> = {};
