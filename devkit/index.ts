/** Development tooling shared by tests, the bench and the CLI: a throwaway nats-server (or 3-server cluster) and a free port. */
export { startNatsServer, natsServerBinary, type NatsServerHandle } from './natsServer.js';
export { freePort } from './freePort.js';
export { startNatsCluster, type ClusterServer, type NatsClusterHandle } from './natsCluster.js';
