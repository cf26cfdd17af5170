/**
 * `MOE_STOP_WITH_PID`: a `moe node` tied to another process's life. When the process with that
 * pid is gone, the node stops as on a second SIGTERM (no drain: whoever started it is gone, and so
 * may be its NATS), and exits within a bound even if the stop cannot finish. For process
 * supervisors without a process group to kill, and for test harnesses whose worker can die before
 * its cleanup runs (the node would otherwise be left reconnecting to a server that is gone).
 */

/** How often the watched pid is checked. */
export const STOP_WITH_PID_EVERY_MS = 500;
/** After the watched process is gone, the process exits this long after the stop began at the latest. */
export const STOP_WITH_PID_EXIT_BOUND_MS = 10_000;

/** `MOE_STOP_WITH_PID` as a pid, or null when unset; throws on anything but a positive integer. */
export function stopWithPidFrom(env: NodeJS.ProcessEnv): number | null {
  const raw = env.MOE_STOP_WITH_PID?.trim();
  if (!raw) return null;
  const pid = Number(raw);
  if (!Number.isInteger(pid) || pid <= 0)
    throw new Error(`MOE_STOP_WITH_PID must be a pid, got ${JSON.stringify(raw)}`);
  return pid;
}

/**
 * Calls `onGone` once when `alive(pid)` turns false (the node passes workspace-node's
 * `processAlive`), then exits the process after {@link STOP_WITH_PID_EXIT_BOUND_MS} if it is still
 * running. Timers are unreferenced: the watch never keeps the process alive. Returns a function
 * that ends the watch.
 */
export function watchPid(
  pid: number,
  alive: (pid: number) => boolean,
  onGone: () => void,
  everyMs = STOP_WITH_PID_EVERY_MS,
): () => void {
  const timer = setInterval(() => {
    if (alive(pid)) return;
    clearInterval(timer);
    setTimeout(() => process.exit(1), STOP_WITH_PID_EXIT_BOUND_MS).unref();
    onGone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
