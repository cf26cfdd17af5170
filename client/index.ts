/** Client library for NATS users: send commands, follow journals, run tasks. */
export { MoeClient, type RecordWithSeq, type TaskOutcome } from './taskClient.js';
