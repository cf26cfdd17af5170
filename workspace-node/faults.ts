/**
 * Fault injection for chaos tests, off unless its environment variable is set. It lets a test
 * kill the node at a precise point that a timed `kill -9` can only hit by luck:
 *
 *   MOE_FAULT_KILL_AFTER_OUTCOME=<effect kind>   SIGKILL the node right after the first outcome of
 *                                                that kind (`tool.run`, `llm.call`) is recorded
 *                                                and before its result is published
 *
 * Never set it in production: the node kills itself.
 */

/** The hook to pass as `afterOutcomeRecorded`, or undefined when no fault is configured. */
export function killAfterOutcome(env: NodeJS.ProcessEnv): ((kind: string) => void) | undefined {
  const kind = env.MOE_FAULT_KILL_AFTER_OUTCOME?.trim();
  if (!kind) return undefined;
  return (recorded) => {
    if (recorded === kind) process.kill(process.pid, 'SIGKILL');
  };
}
