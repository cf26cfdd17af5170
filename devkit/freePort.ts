/**
 * A free TCP port on 127.0.0.1: for the test/bench nats-server (natsServer.ts) and for the CLI's
 * embedded nats-server when the default port is taken. Lives in devkit/ so both import it downward.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
