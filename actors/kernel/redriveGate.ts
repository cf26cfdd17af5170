/**
 * Holds back the re-drive of pending effects on a takeover until the commands already waiting in
 * the workspace's consumer have had their turns. Among them may be the results a dead holder
 * published just before it died (an LLM reply it had paid for, a tool it had run): applied first,
 * they settle their effects, and the scheduler then skips those effects (no longer pending in
 * sessions.db) instead of running them a second time. An effect the dead node never finished has no
 * result in the backlog, and is re-driven as soon as the backlog is through.
 *
 * The wait is bounded ({@link REDRIVE_GATE_MAX_MS}): a backlog that takes longer (a deep queue after
 * an outage) lets the re-drives go; a duplicate result is still dropped by its command id.
 */

/** The longest re-drives wait for the takeover's backlog (ms). */
export const REDRIVE_GATE_MAX_MS = 5_000;

export class RedriveGate {
  private left: number;
  private readonly opened: Promise<void>;
  private open: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param backlog messages the consumer will deliver that were in the stream at start (0: open now)
   * @param settled resolves once the turns of everything delivered so far are done
   */
  constructor(
    backlog: number,
    private readonly settled: () => Promise<void>,
    maxWaitMs = REDRIVE_GATE_MAX_MS,
  ) {
    this.left = backlog;
    this.opened = new Promise<void>((resolve) => {
      this.open = () => {
        clearTimeout(this.timer);
        resolve();
      };
    });
    if (backlog <= 0) this.open();
    else {
      this.timer = setTimeout(() => this.open(), maxWaitMs);
      this.timer.unref();
    }
  }

  /** Counts one delivered message; the last one of the backlog opens the gate once its turn is done. */
  delivered(): void {
    if (this.left <= 0) return;
    if (--this.left === 0) void this.settled().finally(() => this.open());
  }

  /** Runs `work` once the backlog is through (at once when it already is). */
  after(work: () => void): void {
    void this.opened.then(work);
  }

  /** Opens the gate (the kernel stops: queued work is dropped by the scheduler). */
  close(): void {
    this.open();
  }
}
