import type { OutboxClock } from '../../telegram/telegram-outbox';

/** A clock that moves only when told, for the outbox's buckets, pauses and backoff. */
export class ManualClock implements OutboxClock {
  private time = 0;
  private timers: Array<{ at: number; fn: () => void }> = [];

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + ms, fn };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((t) => t !== timer); };
  }

  /** Moves time forward without firing any timer: a process that was paused, resumed before its timers have run. */
  skip(ms: number): void {
    this.time += ms;
  }

  /** Moves time forward, firing each timer that falls due at its own moment, with settled promises between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every promise callback that is ready run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
