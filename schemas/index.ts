/** The wire contract: subjects, envelopes, command data schemas and the validating codec. */
export * from './subjects.js';
export * from './envelope.js';
export * from './commands.js';
export { codec, parseOrNull, validator, SchemaError, type Codec } from './codec.js';
export { exportedSchemas } from './exported.js';
export * from './errors.js';
export * from './journalCodec.js';
export * from './limits.js';
export * from './tenancy.js';
export * from './retirement.js';
export * from './stoppedActors.js';
export * from './workspaceRegistry.js';
export {
  NODE_HEARTBEAT_MS,
  NodeLiveStats,
  ProviderLiveReport,
  WorkspaceBackupReport,
} from './nodeHeartbeat.js';
export * from './nodeControl.js';
export * from './events.js';
export * from './tenancyEvents.js';
export * from './eventCodec.js';
export * from './replay.js';
export * from './artifactRef.js';
export * from './boards.js';
export * from './projectIds.js';
export * from './patternMeanings.js';
export * from './boardEvents.js';
export * from './liveDelta.js';
export * from './search.js';
export * from './invoice.js';
export * from './budgets.js';
export * from './billingCommands.js';
export * from './billingEvents.js';
export * from './priceTable.js';
