/**
 * The CLI's one top-level error handler: any error becomes a catalogued MoeError (Node's own errors
 * — a bad URL, a busy or invalid port, a short JWT secret — are mapped onto codes that name the
 * flag or variable to change), printed as `moe: MOE_ERR_…: message` on stderr, or under `--json` as
 * `{"error":{"code","message"}}` on stdout (so stdout always holds one JSON document). No stack
 * traces unless MOE_DEBUG=1.
 */
import { isMoeError, type MoeError } from '../schemas/index.js';
import { errors } from './errors.js';

const PORT_FLAGS = '--port / MOE_PORT, or --supervisor-port / MOE_SUPERVISOR_PORT';

/** Maps an error thrown anywhere in a command onto the CLI catalogue. */
export function toMoeError(err: unknown): MoeError {
  if (isMoeError(err)) return err;
  const e = err as NodeJS.ErrnoException & { input?: string; port?: number; address?: string };
  const message = err instanceof Error ? err.message : String(err);
  switch (e?.code) {
    case 'ERR_INVALID_URL':
      return errors.CONFIG(`invalid URL ${JSON.stringify(e.input ?? '')}: check --nats / NATS_URL`, {
        cause: err,
      });
    case 'EADDRINUSE':
      return errors.PORT_IN_USE(
        `${e.address ?? ''}:${String(e.port ?? '')} is already in use: choose another (${PORT_FLAGS})`,
        { cause: err },
      );
    case 'EACCES':
    case 'EADDRNOTAVAIL':
      if (e.syscall === 'listen' || e.syscall === 'bind')
        return errors.PORT_IN_USE(
          `cannot listen on ${e.address ?? ''}:${String(e.port ?? '')} (${e.code}): check --host / MOE_HOST and ${PORT_FLAGS}`,
          { cause: err },
        );
      break;
    case 'ERR_SOCKET_BAD_PORT':
      return errors.USAGE(`${message}: ${PORT_FLAGS} take an integer 0–65535`, { cause: err });
  }
  if (/jwtSecret must be at least 32 characters/.test(message))
    return errors.CONFIG('MOE_JWT_SECRET must be at least 32 characters', { cause: err });
  return errors.UNEXPECTED(message, { cause: err });
}

/** The exit code of an error: 2 for a bad command line or configuration, else 1. */
export function exitCodeOf(err: MoeError): number {
  return err.code === errors.USAGE.spec.code || err.code === errors.CONFIG.spec.code ? 2 : 1;
}

/** Prints the error the documented way and returns the exit code. */
export function reportError(
  err: unknown,
  o: { json: boolean; out: (s: string) => void; err: (s: string) => void },
): number {
  const moe = toMoeError(err);
  if (o.json) o.out(JSON.stringify({ error: { code: moe.code, message: moe.message } }));
  else o.err(`moe: ${moe.code}: ${moe.message}`);
  if (process.env.MOE_DEBUG === '1' && err instanceof Error && err.stack) o.err(err.stack);
  return exitCodeOf(moe);
}
