import { NetworkError, ParseError, TelegramApiError, TimeoutError } from 'node-telegram-bot-api';

/**
 * What a person is waiting for, most urgent first: a reply to what they just typed or tapped, how a
 * call ended, that a call started, then how a live call is going.
 */
export type OutboxPriority = 'reply' | 'final' | 'first' | 'edit';
const RANK: Record<OutboxPriority, number> = { reply: 0, final: 1, first: 2, edit: 3 };
/**
 * Tokens a job must leave in the chat's and the bot's buckets: an intermediate edit never takes the
 * token a final status or a reply would need a moment later, and a first status leaves one for them.
 */
const RESERVE: Record<OutboxPriority, { chat: number; global: number }> = {
  reply: { chat: 0, global: 0 }, final: { chat: 0, global: 0 }, first: { chat: 0, global: 1 }, edit: { chat: 1, global: 2 },
};

export interface OutboxClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: OutboxClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A wake-up for queued messages must not keep a stopping process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface OutboxLimits {
  /** Messages per second to one chat, sustained, and the burst allowed on top. */
  perChatRate: number;
  perChatBurst: number;
  /** Messages per second for the whole bot, and its burst. */
  globalRate: number;
  globalBurst: number;
  /** Backoff after a 5xx, a timeout or a network error: doubles from `retryMinMs` up to `retryMaxMs`. */
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * Telegram allows about one message a second per chat with short bursts, and about 30 a second
 * overall; the global rate leaves headroom under 30 so a burst of retries cannot cross it.
 */
export const TELEGRAM_LIMITS: OutboxLimits = {
  perChatRate: 1, perChatBurst: 3, globalRate: 28, globalBurst: 5, retryMinMs: 500, retryMaxMs: 8000,
};

export interface OutboxJob<T> {
  chatId: number | string;
  /** Read each time the outbox chooses what goes next, so a job can become more urgent while it waits. */
  priority: OutboxPriority | (() => OutboxPriority);
  /** Builds and makes the request when the job's turn comes (so it carries the newest text). */
  request: () => Promise<T>;
  /** Attempts allowed on 5xx, timeouts and network errors; waiting out a 429 is not an attempt. */
  maxAttempts: number;
  /** Not sent before this time (the clock's ms). */
  notBefore?: number;
  /**
   * When what it shows happened (the clock's ms; default: when queued). Jobs of one priority go
   * oldest first by this, so a final edit that had to wait for its first message keeps its place.
   */
  since?: number;
}

/** How a job ended: its result, refused or given up (the last error), or taken out before it went. */
export type OutboxResult<T> = { ok: true; value: T } | { ok: false; error: unknown } | { ok: false; cancelled: true };

export interface QueuedJob<T> {
  readonly done: Promise<OutboxResult<T>>;
  /** Takes the job out if it has not gone yet; false when it is on the wire or finished. */
  cancel(): boolean;
}

export interface OutboxCounters {
  requests: number;
  retried: number;
  tooManyRequests: number;
  /** 5xx, timeouts and network errors: answers that do not say whether the request was carried out. */
  lostAnswers: number;
}


interface Entry {
  seq: number;
  since: number;
  job: OutboxJob<unknown>;
  attempts: number;
  notBefore: number;
  settle: (result: OutboxResult<unknown>) => void;
}

interface ChatLane {
  entries: Entry[];
  bucket: TokenBucket;
  busy: boolean;
  pausedUntil: number;
}

/**
 * Every sendMessage and editMessageText the bot makes waits here for its turn. The most urgent
 * waiting job of any chat goes first, as long as its chat and the bot have budget left; one request
 * per chat is on the wire at a time, so a chat sees its messages in order. A 429 pauses that chat
 * for its `retry_after` (everything, when two chats are told within a second: the limit hit is the
 * bot's); 5xx, timeouts and network errors are retried with capped backoff.
 */
export class TelegramOutbox {
  private readonly lanes = new Map<string, ChatLane>();
  private readonly global: TokenBucket;
  private globalPausedUntil = 0;
  private lastTooMany?: { chat: string; at: number };
  private seq = 0;
  private readonly idleWaiters = new Set<() => void>();
  private cancelWake?: () => void;
  private wakeAt = Infinity;
  readonly counters: OutboxCounters = { requests: 0, retried: 0, tooManyRequests: 0, lostAnswers: 0 };

  constructor(private readonly limits: OutboxLimits = TELEGRAM_LIMITS, private readonly clock: OutboxClock = systemClock) {
    this.global = new TokenBucket(limits.globalRate, limits.globalBurst, clock);
  }

  enqueue<T>(job: OutboxJob<T>): QueuedJob<T> {
    const key = String(job.chatId);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { entries: [], bucket: new TokenBucket(this.limits.perChatRate, this.limits.perChatBurst, this.clock), busy: false, pausedUntil: 0 };
      this.lanes.set(key, lane);
    }
    let settle!: (result: OutboxResult<unknown>) => void;
    const done = new Promise<OutboxResult<unknown>>((resolve) => { settle = resolve; });
    const entry: Entry = { seq: this.seq++, since: job.since ?? this.clock.now(), job: job as OutboxJob<unknown>, attempts: 0, notBefore: job.notBefore ?? 0, settle };
    lane.entries.push(entry);
    this.pump();
    const owner = lane;
    return {
      done: done as Promise<OutboxResult<T>>,
      cancel: () => {
        const at = owner.entries.indexOf(entry);
        if (at < 0) return false;
        owner.entries.splice(at, 1);
        entry.settle({ ok: false, cancelled: true });
        this.forget(key, owner);
        this.tellIfIdle();
        return true;
      },
    };
  }

  /** Resolves true once nothing waits or is on the wire, false if that takes longer than `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(() => {
        this.idleWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        cancel();
        resolve(true);
      };
      this.idleWaiters.add(done);
    });
  }

  /** Jobs waiting or on the wire. */
  get pending(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.entries.length + (lane.busy ? 1 : 0);
    return n;
  }

  /** Sends whatever may go now, then sleeps until the earliest moment something else may. */
  private pump(): void {
    for (;;) {
      const now = this.clock.now();
      let wake = Infinity;
      if (this.globalPausedUntil > now) {
        this.sleepUntil(this.globalPausedUntil);
        return;
      }
      let best: { key: string; lane: ChatLane; entry: Entry; rank: number } | undefined;
      for (const [key, lane] of this.lanes) {
        if (lane.busy) continue;
        if (lane.entries.length === 0) {
          this.forget(key, lane);
          continue;
        }
        const entry = head(lane.entries);
        const priority = priorityOf(entry.job);
        const ready = Math.max(lane.pausedUntil, entry.notBefore, now + lane.bucket.msUntilTokens(1 + RESERVE[priority].chat));
        if (ready > now) {
          wake = Math.min(wake, ready);
          continue;
        }
        const rank = RANK[priority];
        if (!best || rank < best.rank || (rank === best.rank && before(entry, best.entry))) best = { key, lane, entry, rank };
      }
      if (!best) {
        this.sleepUntil(wake);
        return;
      }
      const globalWait = this.global.msUntilTokens(1 + RESERVE[priorityOf(best.entry.job)].global);
      if (globalWait > 0) {
        this.sleepUntil(Math.min(wake, now + globalWait));
        return;
      }
      this.global.take();
      best.lane.bucket.take();
      this.dispatch(best.key, best.lane, best.entry);
    }
  }

  private dispatch(key: string, lane: ChatLane, entry: Entry): void {
    lane.entries.splice(lane.entries.indexOf(entry), 1);
    lane.busy = true;
    entry.attempts += 1;
    this.counters.requests += 1;
    let request: Promise<unknown>;
    try {
      request = entry.job.request();
    } catch (err) {
      request = Promise.reject(err);
    }
    request.then(
      (value) => this.finish(key, lane, entry, { ok: true, value }),
      (error: unknown) => this.failed(key, lane, entry, error),
    );
  }

  private failed(key: string, lane: ChatLane, entry: Entry, error: unknown): void {
    const now = this.clock.now();
    const failure = classify(error);
    if (failure.kind === 'too_many_requests') {
      this.counters.tooManyRequests += 1;
      entry.attempts -= 1;
      lane.pausedUntil = Math.max(lane.pausedUntil, now + failure.retryAfterMs);
      if (this.lastTooMany && this.lastTooMany.chat !== key && now - this.lastTooMany.at < 1000) {
        this.globalPausedUntil = Math.max(this.globalPausedUntil, now + failure.retryAfterMs);
      }
      this.lastTooMany = { chat: key, at: now };
      return this.retry(lane, entry);
    }
    if (failure.kind === 'transient') this.counters.lostAnswers += 1;
    if (failure.kind === 'transient' && entry.attempts < entry.job.maxAttempts) {
      entry.notBefore = now + Math.min(this.limits.retryMaxMs, this.limits.retryMinMs * 2 ** (entry.attempts - 1));
      return this.retry(lane, entry);
    }
    this.finish(key, lane, entry, { ok: false, error });
  }

  private retry(lane: ChatLane, entry: Entry): void {
    this.counters.retried += 1;
    // Back at the front of its chat: it was that chat's most urgent job when it went.
    lane.entries.unshift(entry);
    lane.busy = false;
    this.pump();
  }

  private finish(key: string, lane: ChatLane, entry: Entry, result: OutboxResult<unknown>): void {
    lane.busy = false;
    entry.settle(result);
    this.forget(key, lane);
    this.pump();
    this.tellIfIdle();
  }

  private tellIfIdle(): void {
    if (this.idleWaiters.size === 0 || this.pending > 0) return;
    for (const waiter of this.idleWaiters) waiter();
    this.idleWaiters.clear();
  }

  /** A chat with nothing waiting and a full bucket holds no state worth keeping. */
  private forget(key: string, lane: ChatLane): void {
    if (!lane.busy && lane.entries.length === 0 && lane.bucket.full() && lane.pausedUntil <= this.clock.now()) this.lanes.delete(key);
  }

  private sleepUntil(at: number): void {
    if (at === Infinity || at >= this.wakeAt) return;
    this.cancelWake?.();
    this.wakeAt = at;
    this.cancelWake = this.clock.setTimer(() => {
      this.wakeAt = Infinity;
      this.cancelWake = undefined;
      this.pump();
    }, Math.max(0, at - this.clock.now()));
  }
}

/** The job a chat sends next: its most urgent, the oldest of those. */
function head(entries: Entry[]): Entry {
  let best = entries[0]!;
  for (const entry of entries) {
    const rank = RANK[priorityOf(entry.job)];
    const bestRank = RANK[priorityOf(best.job)];
    if (rank < bestRank || (rank === bestRank && before(entry, best))) best = entry;
  }
  return best;
}

function before(a: Entry, b: Entry): boolean {
  return a.since < b.since || (a.since === b.since && a.seq < b.seq);
}

function priorityOf(job: OutboxJob<unknown>): OutboxPriority {
  return typeof job.priority === 'function' ? job.priority() : job.priority;
}

type Failure = { kind: 'too_many_requests'; retryAfterMs: number } | { kind: 'transient' } | { kind: 'refused' };

/** A 429 says wait; a 5xx, a timeout or a dropped connection may succeed later; any other answer will not. */
function classify(error: unknown): Failure {
  if (error instanceof TelegramApiError) {
    if (error.errorCode === 429) return { kind: 'too_many_requests', retryAfterMs: (error.retryAfter ?? 1) * 1000 };
    return error.errorCode >= 500 ? { kind: 'transient' } : { kind: 'refused' };
  }
  if (error instanceof NetworkError || error instanceof TimeoutError || error instanceof ParseError) return { kind: 'transient' };
  return { kind: 'refused' };
}

/** A continuous-refill token bucket on the outbox's clock. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSec: number, private readonly burst: number, private readonly clock: Pick<OutboxClock, 'now'>) {
    this.tokens = burst;
    this.last = clock.now();
  }

  msUntilToken(): number {
    return this.msUntilTokens(1);
  }

  /** Until `n` tokens are there (never more than the burst). */
  msUntilTokens(n: number): number {
    this.refill();
    const want = Math.min(n, this.burst);
    return this.tokens >= want ? 0 : Math.ceil(((want - this.tokens) / this.ratePerSec) * 1000);
  }

  take(): void {
    this.refill();
    this.tokens -= 1;
  }

  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
      this.last = now;
    }
  }
}
