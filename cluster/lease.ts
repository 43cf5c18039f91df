import { Observable, Subject } from 'rxjs';
import type { LeaseStore } from './lease-store';

/** The clock a Lease keeps time by; specs pass a manual one (spec/support/manual-clock.ts). */
export interface LeaseClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemLeaseClock: LeaseClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // Keeping a lease must not keep a stopping process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export type LeaseLossReason = 'renewal refused' | 'renewal failed' | 'renewal late' | 'stopped' | 'handed back';

export type LeaseEvent =
  | { kind: 'held'; token: bigint }
  | { kind: 'lost'; token: bigint; reason: LeaseLossReason };

export interface LeaseOptions {
  name: string;
  /** Unique to this process: two holders with the same name would share the lease. */
  holder: string;
  ttlMs: number;
  clock?: LeaseClock;
  /**
   * Asked before each attempt to take the lease while it is not held: false skips this attempt
   * (an instance that already holds its share of the servers leaves this one to the others).
   */
  wants?: () => Promise<boolean>;
}

/**
 * Keeps one named lease: tries to take it, renews it every third of its ttl, and tries again after
 * losing it. It judges its holding by its own clock and gives it up the moment a renewal is refused,
 * fails, or has not answered by its deadline, which falls a third of the ttl before the database's
 * expiry: a process that was paused or cut off from the database stops acting before anyone else
 * can take over. Writes made under it should still be fenced with its token (fenced-update.ts).
 */
export class Lease {
  readonly events: Observable<LeaseEvent>;
  private readonly subject = new Subject<LeaseEvent>();
  private readonly clock: LeaseClock;
  private holding: { token: bigint; deadline: number } | undefined;
  private running = false;
  /** Bumped on every loss and stop, so that an answer to an older request is ignored. */
  private generation = 0;
  private cancelNext = (): void => {};
  private cancelDeadline = (): void => {};

  constructor(private readonly store: Pick<LeaseStore, 'acquire' | 'renew' | 'release'>, private readonly options: LeaseOptions) {
    this.clock = options.clock ?? systemLeaseClock;
    this.events = this.subject.asObservable();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.acquire();
  }

  /** Whether this process may act under the lease now; false from the moment its deadline passes. */
  isHeld(): boolean {
    if (this.holding && this.clock.now() >= this.holding.deadline) this.lose('renewal late');
    return this.holding !== undefined;
  }

  /** The fencing token while the lease is held. */
  get token(): bigint | undefined {
    return this.isHeld() ? this.holding?.token : undefined;
  }

  /** Stops renewing and frees the lease in the database at once, so another instance need not wait for it to lapse. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelNext();
    const holding = this.holding;
    if (holding) this.lose('stopped');
    this.generation += 1;
    this.subject.complete();
    if (holding) await this.store.release(this.options.name, this.options.holder, holding.token);
  }

  /**
   * Frees the lease at once for another holder and goes on trying for it later (as `wants`
   * allows): a server handed to an instance that holds fewer.
   */
  async handBack(): Promise<void> {
    const holding = this.holding;
    if (!this.running || !holding) return;
    this.lose('handed back');
    await this.store.release(this.options.name, this.options.holder, holding.token).catch(() => false);
    this.schedule(() => this.acquire(), this.renewEvery);
  }

  private async acquire(): Promise<void> {
    const generation = this.generation;
    const wanted = this.options.wants ? await this.options.wants().catch(() => false) : true;
    if (generation !== this.generation || !this.running) return;
    if (!wanted) {
      this.schedule(() => this.acquire(), this.renewEvery);
      return;
    }
    const sentAt = this.clock.now();
    let token: bigint | null = null;
    try {
      token = await this.store.acquire(this.options.name, this.options.holder, this.options.ttlMs);
    } catch {
      token = null;
    }
    if (generation !== this.generation || !this.running) {
      if (token !== null) await this.store.release(this.options.name, this.options.holder, token).catch(() => false);
      return;
    }
    const deadline = this.deadlineFor(sentAt);
    if (token === null || this.clock.now() >= deadline) {
      this.schedule(() => this.acquire(), this.renewEvery);
      return;
    }
    this.holding = { token, deadline };
    this.watchDeadline();
    this.subject.next({ kind: 'held', token });
    this.schedule(() => this.renew(), sentAt + this.renewEvery - this.clock.now());
  }

  private async renew(): Promise<void> {
    const holding = this.holding;
    if (!holding) return;
    const generation = this.generation;
    const sentAt = this.clock.now();
    let renewed: boolean | 'failed';
    try {
      renewed = await this.store.renew(this.options.name, this.options.holder, holding.token, this.options.ttlMs);
    } catch {
      renewed = 'failed';
    }
    if (generation !== this.generation || !this.isHeld()) return;
    if (renewed !== true) {
      this.lose(renewed === 'failed' ? 'renewal failed' : 'renewal refused');
      this.schedule(() => this.acquire(), this.renewEvery);
      return;
    }
    holding.deadline = this.deadlineFor(sentAt);
    this.watchDeadline();
    this.schedule(() => this.renew(), sentAt + this.renewEvery - this.clock.now());
  }

  private lose(reason: LeaseLossReason): void {
    const holding = this.holding;
    if (!holding) return;
    this.holding = undefined;
    this.generation += 1;
    this.cancelDeadline();
    this.subject.next({ kind: 'lost', token: holding.token, reason });
    // A late renewal may still be in flight: the next acquire, not its answer, decides who holds it.
    if (reason === 'renewal late' && this.running) this.schedule(() => this.acquire(), this.renewEvery);
  }

  private watchDeadline(): void {
    this.cancelDeadline();
    const holding = this.holding;
    if (!holding) return;
    this.cancelDeadline = this.clock.setTimer(() => this.isHeld(), Math.max(0, holding.deadline - this.clock.now()));
  }

  private schedule(step: () => Promise<void>, ms: number): void {
    this.cancelNext();
    this.cancelNext = this.clock.setTimer(() => void step(), Math.max(0, ms));
  }

  /** The database's expiry falls at least a ttl after the request left; acting stops a third earlier. */
  private deadlineFor(sentAt: number): number {
    return sentAt + this.options.ttlMs - this.renewEvery;
  }

  private get renewEvery(): number {
    return this.options.ttlMs / 3;
  }
}
