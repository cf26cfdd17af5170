/** Test harness: real nats-server per test file, temp dirs, waiting helpers. */
export {
  startNatsServer,
  freePort,
  natsServerBinary,
  type NatsServerHandle,
} from '../../devkit/natsServer.js';
export { tempDir, tempDirs, eventually, exited } from './util.js';
export {
  nodeChildren,
  stopChild,
  withNodeChildren,
  type NodeChildren,
  type StopSignal,
} from './nodeChild.js';
export { startPlatform, assertCleanJournal, silent, MOE_BIN, type Platform } from './platform.js';
export { startClusterPlatform, CLUSTER_REPLICAS, type ClusterPlatform } from './clusterPlatform.js';
export { startNatsCluster, type ClusterServer, type NatsClusterHandle } from '../../devkit/natsCluster.js';
