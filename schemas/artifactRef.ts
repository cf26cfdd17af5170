/**
 * An artifact as the journal names it: a file an agent's tool wrote (workspace-relative path, sha256
 * of its content, size). The rows of the node's `artifacts.db` hold the same plus the producing turn;
 * these refs travel with a tool's result, a task's completion and a card's run, so a card shows
 * what its agents produced without reading the node's database.
 */
import { Type, type Static } from '@sinclair/typebox';

/** How many artifacts one task or run reports at most (the newest write of each path is kept). */
export const MAX_ARTIFACTS = 50;

export const ArtifactRef = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 1024 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ArtifactRef = Static<typeof ArtifactRef>;

export const ArtifactRefs = Type.Array(ArtifactRef, { maxItems: MAX_ARTIFACTS });

/** `into` with `more` merged in: one entry per path (the later write wins), at most MAX_ARTIFACTS, newest kept. */
export function mergeArtifacts(into: readonly ArtifactRef[], more: readonly ArtifactRef[]): ArtifactRef[] {
  const byPath = new Map<string, ArtifactRef>();
  for (const a of [...into, ...more]) {
    byPath.delete(a.path);
    byPath.set(a.path, { path: a.path, sha256: a.sha256, size: a.size });
  }
  return [...byPath.values()].slice(-MAX_ARTIFACTS);
}
