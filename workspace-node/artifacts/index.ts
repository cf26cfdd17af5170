/**
 * Public door of the artifact records: the SQLite store of files agents produced, the recorder
 * that tool contexts call, and content hashing.
 */
export { ArtifactStore, type Artifact, type ArtifactInput, type RecordOutcome } from './artifactStore.js';
export { artifactRecorder } from './artifactRecorder.js';
export { hashContent, hashFile, type ContentDigest } from './hash.js';
