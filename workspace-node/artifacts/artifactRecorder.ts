/**
 * Bridges the tools to the store: `artifactRecorder(store, now)` is the `recordArtifact` callback
 * of a tool context. Each file a tool wrote is stamped with the turn that wrote it (the producer
 * the tool passes: actor address + effect id) and the caller's clock, so one recorder serves every
 * tool call of a workspace.
 */
import type { ArtifactStore } from './artifactStore.js';

/**
 * @example
 *   const recordArtifact = artifactRecorder(store, () => clock.now());
 *   await toolset.run('write_file', input, { root, producer, recordArtifact });
 */
export function artifactRecorder(
  store: ArtifactStore,
  now: () => number,
): (
  artifact: { path: string; sha256: string; size: number },
  producer: { readonly address: string; readonly effectId: string },
) => void {
  return ({ path, sha256, size }, producer) => {
    store.record({
      path,
      sha256,
      size,
      producer: producer.address,
      effectId: producer.effectId,
      createdAt: now(),
    });
  };
}
