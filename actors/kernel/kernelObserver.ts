/**
 * What a workspace kernel reports as it works, for a process's metrics (workspace-node/metrics.ts
 * turns these calls into Prometheus series). The kernel knows nothing of Prometheus: it calls these
 * few methods at points it passes anyway — once per journal entry (not per command), once per
 * dead letter, once per effect started or failed, once per group fsync — so an observer costs the
 * hot path a handful of counter increments per entry. Every method must be cheap and must not throw.
 */

export interface KernelObserver {
  /**
   * A journal entry of `turns` new turns of an actor of `kind` is durable (appended, committed,
   * fsynced); `bytes` is its size in the journal; `latenciesMs` is, per command it carried, the
   * time from its delivery to this node until then (read from `performance.now()`).
   */
  entry(kind: string, turns: number, bytes: number, latenciesMs: readonly number[]): void;
  /** A command (or an effect result applied as failed) was dead-lettered with this error code. */
  deadLetter(code: string): void;
  /** An effect of `kind` started running here. */
  effectStarted(kind: string): void;
  /** An effect of `kind` ended in failure after its retries. */
  effectFailed(kind: string): void;
  /** One group fdatasync of the session logs took `ms`. */
  fsync(ms: number): void;
}
