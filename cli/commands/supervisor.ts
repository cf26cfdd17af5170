/**
 * `moe supervisor [--port N] [--host H] [--nats URL]`: the supervisor on its own (node heartbeats,
 * leader election, release of dead nodes' leases, dashboard), and the helper `moe up` uses to
 * serve it next to the node. Several may run; one leads.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { processTracing } from '../tracing.js';

export async function serveSupervisor(o: {
  nc?: NatsConnection;
  natsUrl: string;
  port: number;
  host: string;
  operatorToken?: string;
}): Promise<Supervisor> {
  return startSupervisor({
    ...(o.nc ? { nc: o.nc } : { natsUrl: o.natsUrl }),
    port: o.port,
    host: o.host,
    ...(o.operatorToken ? { operatorToken: o.operatorToken } : {}),
    logger: pino({ level: process.env.MOE_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
  });
}

export async function supervisorCommand(
  a: { natsUrl: string; port: number; host: string },
  print: (s: string) => void,
): Promise<number> {
  const tracing = await processTracing('moe-supervisor', print);
  const sup = await serveSupervisor(a);
  print(
    `supervisor ${sup.id} on ${sup.url} (NATS ${a.natsUrl}; ${sup.isLeader ? 'leader' : 'follower'}) — Ctrl-C to stop`,
  );
  await new Promise<void>((done) => {
    const onSignal = () =>
      void sup
        .stop()
        .then(() => tracing?.shutdown())
        .finally(done);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}
