/** The actor kernel: hosts pure machines on the JetStream journal with a SQLite cache and JSONL logs. */
export { WorkspaceKernel, type WorkspaceKernelOptions, type KernelStats } from './workspaceKernel.js';
export { SessionStore, openSqlite, type ActorRow, type PendingEffect } from './sessionStore.js';
export { JsonlLog } from './jsonlLog.js';
export type { KernelObserver } from './kernelObserver.js';
export { Journal } from './journal.js';
export {
  JournalReader,
  readJournal,
  lastJournalEntry,
  firstJournalEntry,
  type JournalStart,
  type JournalReaderOptions,
  type JournalEntryAt,
  type JournalTurnAt,
} from './journalReader.js';
export { journalSubjectCounts, purgeCoveredEntries, type SubjectPurge } from './journalPurge.js';
export { MachineHost, stateString, statusOf, type TurnOutcome } from './machineHost.js';
export { systemClock, type Clock } from './clock.js';
export {
  DEFAULT_RETRY,
  OUTAGE_MAX_DELAY_MS,
  OUTAGE_RETRY_MS,
  runWithRetry,
  type EffectHandler,
  type EffectInvocation,
  type EffectRetry,
  type EffectRetryPolicy,
} from './effects.js';
export { backoffDelay, exponentialDelay, retryDelay, type RetryPolicy } from './backoff.js';
export {
  CommandPublisher,
  CommandTooLargeError,
  COMMAND_HEADROOM_BYTES,
  encodeCommandEnvelope,
  envelopeCodec,
  maxCommandBytes,
  publishCommand,
  type EncodedCommand,
} from './commandPublisher.js';
export { DeadLetters, type LetterDestination } from './deadLetters.js';
export {
  dispositionOf,
  HELD_NAK_MS,
  RETRY_NAK_MS,
  UNSTORED_LETTER_NAK_MS,
  type CommandFate,
  type Disposition,
} from './disposition.js';
export { settle, type Refuser } from './settle.js';
export { effectCommandId } from './effectScheduler.js';
export {
  EffectDispatch,
  effectHandlers,
  type EffectHandlerOf,
  type EffectHandlers,
  type InvocationOf,
} from './effectDispatch.js';
export { sessionFor, WORKSPACE_SESSION } from './sessionKey.js';
export type { ActorCell } from './actorCell.js';
export { Replayer, jsonDiff, type ReplayedActor } from './replay.js';
export {
  replayParallel,
  ReplayPool,
  ReplayInputError,
  type ParallelReplayOptions,
  type ParallelReplayResult,
  type ParallelReplayedActor,
} from './parallelReplay.js';
export { ensureStream, ensureStreams, type StreamOptions, type StreamSpec } from './streams.js';
export { natsServers } from './natsServers.js';
export { forEachShardLine } from './logShards.js';
export { JetStreamAppender } from './jetStreamAppender.js';
export { spawnWorker } from './spawnWorker.js';
export { kvCas, lostRace, KvCasContended, type KvCasOptions } from './kvCas.js';
export { kvKeys } from './kvKeys.js';
export { followKv, KV_REWATCH_MS, type KvFollow } from './kvFollow.js';
export { kernelErrors } from './errors.js';
export {
  addCommandConsumer,
  consumeCommands,
  type CommandConsumerSpec,
  type CommandLoop,
} from './workspaceConsumer.js';
export { natsAuthOptions } from './natsAuth.js';
export {
  ATTR,
  contextFromHeaders,
  contextFromHttpHeaders,
  deserializeTrace,
  failSpan,
  inSpan,
  otelContext,
  otelTrace,
  ROOT_CONTEXT,
  serializeTrace,
  SpanKind,
  SpanStatusCode,
  traceHeaders,
  tracer,
  tracingOn,
  TRACER_NAME,
  type Attributes,
  type Context,
  type Span,
} from './tracing.js';
export { startTracing, tracingMode, type Tracing } from './tracingSetup.js';
export { watchNatsStatus, type NatsStatusView } from './natsStatus.js';
export { isNatsOutage } from './natsOutage.js';
export {
  streamPublisher,
  PUBLISH_ACK_TIMEOUT_MS,
  type JetStreamPublish,
  type StreamPublisher,
} from './streamPublisher.js';
export { FOLLOWER_PULL } from './consumerLiveness.js';
