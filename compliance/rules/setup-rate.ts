/**
 * One route's call set-ups spaced evenly at its rate: each set-up takes the next free slot. Pure:
 * the caller says what time it is and does the waiting.
 */
export class SetupRate {
  private nextSlot = Number.NEGATIVE_INFINITY;

  constructor(readonly perSecond: number) {}

  /**
   * How long a set-up asked for at `now` waits for its slot, the slot then taken; undefined, and
   * nothing taken, when that wait would be longer than `maxWaitMs`.
   */
  take(now: number, maxWaitMs: number): number | undefined {
    const slot = Math.max(now, this.nextSlot);
    const wait = slot - now;
    if (wait > maxWaitMs) return undefined;
    this.nextSlot = slot + 1000 / this.perSecond;
    return wait;
  }

  /** The wait a set-up asked for at `now` would have. */
  waitAt(now: number): number {
    return Math.max(0, this.nextSlot - now);
  }
}
