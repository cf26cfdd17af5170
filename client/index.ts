/** Client library for NATS users: send commands, follow journals, run tasks. */
export { MoeClient, type RecordWithSeq } from './taskClient.js';
