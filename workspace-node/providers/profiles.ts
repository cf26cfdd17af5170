/**
 * Agent profiles: which provider and model an agent thinks with, its system prompt, which tools it
 * is offered, and where to go when that provider is down (the fallback chain). A task names a
 * profile (`task.submit.profile`, default `default`); the router walks the chain.
 */
import { errors } from '../errors.js';

export interface ModelTarget {
  readonly provider: string;
  readonly model: string;
}

export interface AgentProfile extends ModelTarget {
  readonly name: string;
  readonly system?: string;
  /** tool names offered to the model; undefined offers every tool the caller passes */
  readonly tools?: readonly string[];
  readonly maxTokens?: number;
  /** tokens a request may hold; default: the model's window (contextWindows.ts). See contextPolicy.ts */
  readonly contextWindow?: number;
  /** tried in order when the primary target fails, is rate-limited, or its circuit is open */
  readonly fallbacks?: readonly ModelTarget[];
}

export const DEFAULT_SYSTEM_PROMPT =
  'You are an agent working inside a persistent workspace. Use the tools to read and change files ' +
  'in the workspace, keep your steps small, and finish with a short answer that says what you did.';

/** The primary target followed by the fallbacks, without duplicates. */
export function chainOf(profile: AgentProfile): ModelTarget[] {
  const seen = new Set<string>();
  const out: ModelTarget[] = [];
  for (const t of [{ provider: profile.provider, model: profile.model }, ...(profile.fallbacks ?? [])]) {
    const key = `${t.provider}/${t.model}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}

export function profileOf(profiles: Readonly<Record<string, AgentProfile>>, name: string): AgentProfile {
  const profile = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!profile)
    throw errors.PROFILE_UNKNOWN(name, { details: { profile: name, known: Object.keys(profiles) } });
  return profile;
}
