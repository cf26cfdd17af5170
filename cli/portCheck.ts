/**
 * Checks, before `moe up` starts anything, that the ports it will listen on can be bound, so a
 * busy port is a clear error naming its flag rather than a failure halfway through start-up.
 * (Another process can still take the port in between; start-up then stops what it started.)
 */
import { createServer } from 'node:net';
import { errors } from './errors.js';
import { toMoeError } from './reportError.js';

export function assertPortFree(host: string, port: number, flags: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? errors.PORT_IN_USE(`${host}:${port} is already in use: choose another with ${flags}`)
          : toMoeError(err),
      );
    });
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}
