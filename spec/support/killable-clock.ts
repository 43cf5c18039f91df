import type { LeaseClock } from '../../cluster/lease';

/**
 * A lease's clock for an instance a spec kills: real time and real timers while it lives, so it
 * renews its lease like any holder; from `kill()` on it stands still and fires no timer, so it
 * never renews again (the lease lapses in the database for the next instance to take) and never
 * notices the loss, like a process that died mid-holding.
 */
export class KillableClock implements LeaseClock {
  private killedAt: number | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return this.killedAt ?? Date.now();
  }

  setTimer(fn: () => void, ms: number): () => void {
    if (this.killedAt !== undefined) return () => undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    // A killed or stopping holder must not keep jest's worker alive.
    timer.unref();
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  kill(): void {
    this.killedAt ??= Date.now();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
