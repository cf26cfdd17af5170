/**
 * The project config file (JSON, path in `MOE_PROJECT_CONFIG`): the agent profiles of a project
 * (provider + model + system prompt + tools + fallbacks), its tools (shell on/off, which tools need
 * approval), cluster rate limits and budgets, and billing plans. Validated once at node start; a
 * bad file stops the node with MOE_ERR_PROJECT_CONFIG naming the JSON path. See docs/agents.md.
 *
 * @example
 *   { "profiles": { "researcher": { "provider": "anthropic", "model": "claude-haiku-4-5", "system": "You research.",
 *                                   "tools": ["read_file", "search"], "fallbacks": [{ "provider": "openai", "model": "gpt-5-mini" }] } },
 *     "tools": { "shell": { "enabled": false }, "approval": ["write_file"] },
 *     "limits": { "rates": { "anthropic": { "requestsPerMinute": 50 } }, "budgets": { "default": { "limitMicros": 5000000, "period": "month" } } } }
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { SchemaError, validator } from '../../schemas/index.js';
import { errors } from '../errors.js';
import type { AgentProfile } from './profiles.js';

const Name = Type.String({ minLength: 1, maxLength: 64 });
const Target = Type.Object(
  { provider: Name, model: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const Profile = Type.Object(
  {
    provider: Name,
    model: Type.String({ minLength: 1, maxLength: 200 }),
    system: Type.Optional(Type.String({ maxLength: 100_000 })),
    tools: Type.Optional(Type.Array(Name)),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    fallbacks: Type.Optional(Type.Array(Target, { maxItems: 8 })),
  },
  { additionalProperties: false },
);

const Budget = Type.Object(
  {
    limitMicros: Type.Integer({ minimum: 0 }),
    period: Type.Union([Type.Literal('month'), Type.Literal('day'), Type.Literal('total')]),
  },
  { additionalProperties: false },
);

const Rate = Type.Object(
  {
    requestsPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
    tokensPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const ProjectConfig = Type.Object(
  {
    profiles: Type.Optional(Type.Record(Name, Profile)),
    tools: Type.Optional(
      Type.Object(
        {
          shell: Type.Optional(
            Type.Object(
              {
                enabled: Type.Boolean(),
                timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
                maxOutputBytes: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          approval: Type.Optional(Type.Array(Name)),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        {
          rates: Type.Optional(Type.Record(Name, Rate)),
          budgets: Type.Optional(
            Type.Object(
              { default: Type.Optional(Budget), orgs: Type.Optional(Type.Record(Name, Budget)) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    plans: Type.Optional(
      Type.Object(
        {
          plans: Type.Optional(
            Type.Record(
              Name,
              Type.Object(
                { name: Name, markup: Type.Number({ minimum: 0 }) },
                { additionalProperties: false },
              ),
            ),
          ),
          orgPlans: Type.Optional(Type.Record(Name, Name)),
          defaultPlan: Type.Optional(Name),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'ProjectConfig', additionalProperties: false },
);
export type ProjectConfig = Static<typeof ProjectConfig>;

const check = validator(ProjectConfig, 'ProjectConfig');

/** Validates a parsed config; throws MOE_ERR_PROJECT_CONFIG with the JSON path. */
export function parseProjectConfig(value: unknown, source = 'project config'): ProjectConfig {
  try {
    return check(value);
  } catch (err) {
    const details = err instanceof SchemaError ? { details: { path: err.path } } : {};
    throw errors.PROJECT_CONFIG(`${source}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      ...details,
    });
  }
}

export function loadProjectConfig(path: string): ProjectConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw errors.PROJECT_CONFIG(`${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return parseProjectConfig(raw, path);
}

/** The config's profiles as router profiles (named by their key). */
export function projectProfiles(config: ProjectConfig): Record<string, AgentProfile> {
  const out: Record<string, AgentProfile> = {};
  for (const [name, p] of Object.entries(config.profiles ?? {})) out[name] = { name, ...p };
  return out;
}
