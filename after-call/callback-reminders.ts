/**
 * The callbacks' clock: at a callback's time its agent is reminded, and once it is missed (reminded,
 * not called back within the configured minutes) the admins are told. Each runs once however many
 * processes share the database: a process acts on a callback only after its own conditional UPDATE
 * moved it (store/scheduled-callback-store.ts). A process that stops between that UPDATE and the
 * message loses that one reminder rather than sending it twice.
 */
import type { Logger } from '../config/logger';
import type { ScheduledCallback } from '../entities';
import type { CallbackClock } from './callbacks';

/** Where reminders and missed callbacks are told (the bot). */
export interface CallbackNotices {
  remind(callback: ScheduledCallback): Promise<void>;
  missed(callback: ScheduledCallback): Promise<void>;
}

/** What the reminders need of the callbacks table. */
export interface ReminderRecords {
  duePending(now: Date, limit: number): Promise<ScheduledCallback[]>;
  claimReminder(id: number, now: Date): Promise<boolean>;
  missedUntold(dueBy: Date, limit: number): Promise<ScheduledCallback[]>;
  claimMissed(id: number, dueBy: Date, now: Date): Promise<boolean>;
  nextDue(): Promise<Date | undefined>;
  nextUntold(): Promise<Date | undefined>;
}

/**
 * How often the table is read when nothing is known to be due sooner: a callback another process
 * scheduled is reminded at most this late.
 */
export const REMINDER_POLL_MS = 15_000;
/** Rows taken per read; a longer backlog is worked through in further reads of the same pass. */
const BATCH = 50;
/** Reads in one pass before it waits a poll: a table that never settles cannot spin the loop. */
const MAX_ROUNDS = 20;

export interface CallbackRemindersDeps {
  records: ReminderRecords;
  notices: CallbackNotices;
  clock: CallbackClock;
  /** CALLBACK_MISSED_AFTER_MIN in milliseconds. */
  missedAfterMs: number;
  logger: Logger;
  pollMs?: number;
}

export class CallbackReminders {
  private stopped = true;
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly pollMs: number;

  constructor(private readonly deps: CallbackRemindersDeps) {
    this.pollMs = deps.pollMs ?? REMINDER_POLL_MS;
  }

  /** Reads the table now and then at each due time (callbacks a previous run left are reminded as they fall due). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.runPass();
  }

  /** A callback was scheduled here: the next due time may be sooner than the timer set. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.runPass();
  }

  /** Resolves once no pass is running (specs wait for it before they move the clock). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.settled();
  }

  private runPass(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const pass = this.pass().catch((err: unknown) => {
      this.deps.logger.warn('reading the scheduled callbacks failed; trying again shortly', { err });
      return this.pollMs;
    }).then((delay) => {
      this.running = undefined;
      if (!this.stopped) this.cancelTimer = this.deps.clock.setTimer(() => this.runPass(), delay);
    });
    this.running = pass;
  }

  /** Reminds and tells what is due, again while more falls due meanwhile; the wait until the next pass. */
  private async pass(): Promise<number> {
    for (let round = 0; round < MAX_ROUNDS && !this.stopped; round += 1) {
      this.again = false;
      const now = this.deps.clock.now();
      const busy = await this.remindDue(now) || await this.tellMissed(now);
      const next = await this.nextEventAt();
      const wait = next === undefined ? this.pollMs : Math.min(this.pollMs, next - this.deps.clock.now());
      if (wait > 0 && !this.again && !busy) return wait;
    }
    return this.pollMs;
  }

  /** Whether a full batch was read (more may be due). */
  private async remindDue(now: number): Promise<boolean> {
    const { records, notices, logger } = this.deps;
    const due = await records.duePending(new Date(now), BATCH);
    for (const callback of due) {
      if (!(await records.claimReminder(callback.id, new Date(now)))) continue;
      await notices.remind(callback).catch((err: unknown) => logger.warn('a callback reminder could not be sent', { callbackId: callback.id, err }));
    }
    return due.length === BATCH;
  }

  private async tellMissed(now: number): Promise<boolean> {
    const { records, notices, logger, missedAfterMs } = this.deps;
    const dueBy = new Date(now - missedAfterMs);
    const missed = await records.missedUntold(dueBy, BATCH);
    for (const callback of missed) {
      if (!(await records.claimMissed(callback.id, dueBy, new Date(now)))) continue;
      await notices.missed(callback).catch((err: unknown) => logger.warn('a missed callback could not be told to the admins', { callbackId: callback.id, err }));
    }
    return missed.length === BATCH;
  }

  private async nextEventAt(): Promise<number | undefined> {
    const [due, untold] = await Promise.all([this.deps.records.nextDue(), this.deps.records.nextUntold()]);
    const times = [due?.getTime(), untold === undefined ? undefined : untold.getTime() + this.deps.missedAfterMs].filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }
}
