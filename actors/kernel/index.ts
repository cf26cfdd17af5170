/** The actor kernel: hosts pure machines on the JetStream journal with a SQLite cache and JSONL logs. */
export { WorkspaceKernel, type WorkspaceKernelOptions, type KernelStats } from './workspaceKernel.js';
export { SessionStore, openSqlite, type ActorRow, type PendingEffect } from './sessionStore.js';
export { JsonlLog } from './jsonlLog.js';
export { Journal, readJournal } from './journal.js';
export { MachineHost, stateString, statusOf, type TurnOutcome } from './machineHost.js';
export { systemClock, type Clock } from './clock.js';
export {
  DEFAULT_RETRY,
  backoffMs,
  runWithRetry,
  type EffectHandler,
  type EffectInvocation,
  type RetryPolicy,
} from './effects.js';
export { CommandPublisher, envelopeCodec } from './commandPublisher.js';
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
export { kernelErrors } from './errors.js';
export { addCommandConsumer, consumeCommands, type CommandConsumerSpec } from './workspaceConsumer.js';
