/** Development tooling shared by tests, the bench and the CLI: a throwaway nats-server and a free port. */
export { startNatsServer, natsServerBinary, type NatsServerHandle } from './natsServer.js';
export { freePort } from './freePort.js';
