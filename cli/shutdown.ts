/**
 * Stopping what `moe up` started, newest first and NATS last, within a bound: a part that does not
 * stop in time is abandoned, and the forced path (SIGKILL of the nats-server we started) runs, so
 * `moe` never hangs on exit and never leaves a server behind.
 */

export interface Part {
  readonly name: string;
  stop(): Promise<unknown>;
}

export class StartedParts {
  private readonly parts: Part[] = [];

  add(name: string, stop: () => Promise<unknown>): void {
    this.parts.push({ name, stop });
  }

  /**
   * Stops every part, newest first (so the node releases its leases while NATS still runs),
   * within `boundMs` overall; when the bound passes, `force()` runs and the rest is abandoned.
   * @returns the names of the parts that did not stop in time (empty: a clean stop)
   */
  async stopAll(boundMs: number, force: () => void): Promise<string[]> {
    const deadline = Date.now() + boundMs;
    const pending = this.parts.splice(0).reverse();
    while (pending.length > 0) {
      const part = pending[0]!;
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        part.stop().then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, left)))),
      ]);
      clearTimeout(timer);
      if (!done) {
        force();
        return pending.map((p) => p.name);
      }
      pending.shift();
    }
    return [];
  }
}
