import type { Logger } from '../config/logger';
import type { WebhookDelivery } from '../entities';
import type { WebhookDeliveryStore } from '../store';
import type { AttemptResult, DeliveryResult } from '../store/webhook-delivery-store';
import type { EndpointDirectory, KnownEndpoint } from './endpoint-directory';
import { type RetrySchedule, nextAttempt } from './retry-schedule';
import { WEBHOOK_HEADERS, signatureHeader } from './webhook-signature';

/** The worker's clock: the spec's manual clock drives retries without waiting for them. */
export interface WorkerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

export const REAL_WORKER_CLOCK: WorkerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface WebhookWorkerSettings {
  /** A receiver that has not answered in this long has failed this attempt. */
  timeoutMs: number;
  /** Deliveries posted at once. */
  concurrency: number;
  /** How often the queue is read for rows another instance wrote, or whose lease ran out. */
  pollMs: number;
  schedule: RetrySchedule;
  /** Finished rows are deleted this long after they finished. */
  keepFinishedMs: number;
}

export interface WebhookWorkerDeps {
  deliveries: Pick<WebhookDeliveryStore, 'claimDue' | 'record' | 'release' | 'prune' | 'retryNow'>;
  endpoints: Pick<EndpointDirectory, 'byId'>;
  logger: Logger;
  /** Names this worker's leases (the instance id in cluster mode). */
  workerId: string;
  settings: WebhookWorkerSettings;
  clock?: WorkerClock;
  fetch?: typeof fetch;
  random?: () => number;
}

type Attempt = { ok: true; result: string } | { ok: false; result: string } | { ok: 'stopped' };

const PRUNE_EVERY_MS = 3_600_000;
/**
 * Rows claimed and not yet recorded, at most: a claim and a result write each cost a commit (an
 * fsync on SQLite), so many rows share each, while only `concurrency` requests are open at once.
 */
const MAX_CLAIMED = 256;
/**
 * Failed attempts in a row at one endpoint, with no success between, that read as an outage: the
 * first success after them makes the endpoint's waiting retries due at once, so a backlog drains
 * when the receiver is back rather than when each retry's wait runs out. One event a receiver keeps
 * refusing between successes never reaches it, so it is not retried faster than its schedule.
 */
const OUTAGE_FAILURES = 3;

/**
 * Posts the queued deliveries (store/webhook-delivery-store.ts). Each row is claimed under a lease
 * before it is posted, so of several workers on one database exactly one posts it, and a worker
 * that dies lets its rows go when their leases run out. A failed attempt is tried again on the
 * retry schedule; the call's next event waits for it (the store hands out only a call's first
 * unfinished row per endpoint). Posting never blocks anything else: each request has a timeout, its
 * body is never read, and at most `concurrency` are open.
 */
export class WebhookWorker {
  private readonly clock: WorkerClock;
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  /** Every claimed row until its result is written. */
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Open requests, and the claimed rows waiting for one. */
  private posting = 0;
  /** Rows never tried nor held back (a live call's new events) post before a backlog's retries. */
  private readonly waitingFresh: Array<() => void> = [];
  private readonly waitingToPost: Array<() => void> = [];
  private readonly stopping = new AbortController();
  private claimCount = 0;
  private running = false;
  private claiming?: Promise<void>;
  private again = false;
  private cancelPoll?: () => void;
  private cancelWake?: () => void;
  private wakeAt = Infinity;
  private lastPrune = 0;
  /** Results waiting for the next batch write, each with the promise its delivery waits on. */
  private results: Array<{ result: DeliveryResult; written: () => void; failed: (err: unknown) => void }> = [];
  private recording?: Promise<void>;
  /** Failed attempts in a row per endpoint, as this worker saw them. */
  private readonly failuresInARow = new Map<number, number>();

  constructor(private readonly deps: WebhookWorkerDeps) {
    this.clock = deps.clock ?? REAL_WORKER_CLOCK;
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    this.running = true;
    this.lastPrune = this.clock.now();
    this.poke();
  }

  /** Reads the queue now (events were just written, or a delivery finished). */
  poke(): void {
    if (!this.running) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claimAndPost().finally(() => {
      this.claiming = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Resolves once nothing is being claimed or posted (specs, the bench). */
  async idle(): Promise<void> {
    while (this.claiming || this.inFlight.size > 0) await Promise.allSettled([this.claiming, ...this.inFlight.values()]);
  }

  /** Stops claiming; open requests are aborted and their rows let go for the next worker (this one, restarted, or another instance). */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelPoll?.();
    this.cancelWake?.();
    this.stopping.abort();
    await this.idle();
  }

  private async claimAndPost(): Promise<void> {
    this.cancelPoll?.();
    try {
      const room = Math.max(MAX_CLAIMED, this.deps.settings.concurrency) - this.inFlight.size;
      if (room > 0) {
        const now = this.clock.now();
        const owner = `${this.deps.workerId}#${++this.claimCount}`;
        const rows = await this.deps.deliveries.claimDue(owner, now, now + this.leaseMs(), room);
        for (const row of rows) this.begin(row, owner);
        // A full batch means more may be due at once.
        if (rows.length === room) this.again = true;
      }
      await this.pruneNow();
    } catch (err) {
      this.deps.logger.error('webhook queue not read; trying again at the next poll', { err });
    }
    if (this.running) this.cancelPoll = this.clock.setTimer(() => this.poke(), this.deps.settings.pollMs);
  }

  /** Long enough for an attempt's timeout and its writes; a lease that runs out mid-attempt could mean a second post. */
  private leaseMs(): number {
    return this.deps.settings.timeoutMs * 2 + 30_000;
  }

  private begin(row: WebhookDelivery, owner: string): void {
    const done = this.deliver(row, owner)
      .catch((err: unknown) => {
        this.deps.logger.error('webhook delivery not recorded; its lease runs out and it is posted again', { deliveryId: row.id, err });
      })
      .finally(() => {
        this.inFlight.delete(row.id);
        // The call's next event may be due now.
        this.poke();
      });
    this.inFlight.set(row.id, done);
  }

  private async deliver(row: WebhookDelivery, owner: string): Promise<void> {
    const endpoint = await this.deps.endpoints.byId(row.endpointId);
    if (!endpoint) {
      await this.record(row, owner, { state: 'failed', attempts: row.attempts, at: this.clock.now(), result: 'endpoint removed' });
      return;
    }
    const attempt = await this.whenPostingAllowed(isFresh(row), () => this.post(row, endpoint));
    if (attempt.ok === 'stopped') {
      await this.deps.deliveries.release([owner]);
      return;
    }
    const at = this.clock.now();
    const attempts = row.attempts + 1;
    if (attempt.ok) {
      await this.record(row, owner, { state: 'delivered', attempts, at, result: attempt.result });
      const failures = this.failuresInARow.get(endpoint.id) ?? 0;
      this.failuresInARow.delete(endpoint.id);
      if (failures >= OUTAGE_FAILURES) {
        const due = await this.deps.deliveries.retryNow(endpoint.id, at);
        this.deps.logger.info('webhook endpoint answers again; its waiting retries are due now', { endpointId: endpoint.id, deliveries: due });
      }
      return;
    }
    this.failuresInARow.set(endpoint.id, (this.failuresInARow.get(endpoint.id) ?? 0) + 1);
    const next = nextAttempt(this.deps.settings.schedule, attempts, row.createdAt, at, this.random);
    if (next.kind === 'give_up') {
      await this.record(row, owner, { state: 'failed', attempts, at, result: attempt.result });
      this.deps.logger.warn('webhook delivery given up', { endpointId: endpoint.id, eventId: row.eventId, attempts, result: attempt.result });
      return;
    }
    await this.record(row, owner, { state: 'pending', attempts, at, result: attempt.result, nextAttemptAt: at + next.delayMs });
    this.wakeIn(next.delayMs);
  }

  /**
   * Runs `post` once fewer than `concurrency` requests are open: fresh rows first, then the others,
   * each in the order claimed. A drained backlog fills the claimed rows; without the lanes a live
   * call's events would wait behind all of them.
   */
  private async whenPostingAllowed<T>(fresh: boolean, post: () => Promise<T>): Promise<T> {
    if (this.posting >= this.deps.settings.concurrency) await new Promise<void>((resolve) => (fresh ? this.waitingFresh : this.waitingToPost).push(resolve));
    this.posting += 1;
    try {
      return await post();
    } finally {
      this.posting -= 1;
      (this.waitingFresh.shift() ?? this.waitingToPost.shift())?.();
    }
  }

  /**
   * Queues an attempt's result for the next batch write and resolves once it is written: results
   * that come in while a batch is being written go out together in the next, one commit for all.
   */
  private record(row: WebhookDelivery, owner: string, change: AttemptResult): Promise<void> {
    return new Promise((written, failed) => {
      this.results.push({ result: { id: row.id, endpointId: row.endpointId, callId: row.callId, owner, change }, written, failed });
      this.recording ??= this.writeResults().finally(() => { this.recording = undefined; });
    });
  }

  private async writeResults(): Promise<void> {
    while (this.results.length > 0) {
      const batch = this.results.splice(0);
      try {
        await this.deps.deliveries.record(batch.map((b) => b.result));
        for (const b of batch) b.written();
      } catch (err) {
        for (const b of batch) b.failed(err);
      }
    }
  }

  private async post(row: WebhookDelivery, endpoint: KnownEndpoint): Promise<Attempt> {
    const timestamp = Math.floor(this.clock.now() / 1000);
    const signal = AbortSignal.any([AbortSignal.timeout(this.deps.settings.timeoutMs), this.stopping.signal]);
    try {
      const response = await this.fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'callbot-webhooks',
          [WEBHOOK_HEADERS.id]: row.eventId,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signatureHeader(endpoint.secret, timestamp, row.body),
        },
        body: row.body,
        // A redirect is the receiver's mistake to fix, not a place to send signed events to.
        redirect: 'manual',
        signal,
      });
      // The answer's body is never read: a huge one must not cost memory or time.
      await response.body?.cancel().catch(() => undefined);
      return response.ok ? { ok: true, result: `HTTP ${response.status}` } : { ok: false, result: `HTTP ${response.status}` };
    } catch (err) {
      if (this.stopping.signal.aborted) return { ok: 'stopped' };
      return { ok: false, result: failureText(err) };
    }
  }

  /** A retry falls due: read the queue then, besides the regular poll. */
  private wakeIn(ms: number): void {
    const at = this.clock.now() + ms;
    if (!this.running || at >= this.wakeAt) return;
    this.cancelWake?.();
    this.wakeAt = at;
    this.cancelWake = this.clock.setTimer(() => {
      this.wakeAt = Infinity;
      this.poke();
    }, ms);
  }

  private async pruneNow(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const pruned = await this.deps.deliveries.prune(now - this.deps.settings.keepFinishedMs);
    if (pruned > 0) this.deps.logger.info('finished webhook deliveries pruned', { deliveries: pruned });
  }
}

/** What a failed attempt is recorded as: never the URL (it may hold a token) or a header. */
function failureText(err: unknown): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return 'timeout';
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? (err.cause as NodeJS.ErrnoException).code ?? err.cause.message : undefined;
    return (cause ? `${err.message}: ${cause}` : err.message).slice(0, 200);
  }
  return String(err).slice(0, 200);
}

/** Never tried and never held back behind a retry: written by an outbox moments ago (a new row is due at 0). */
function isFresh(row: WebhookDelivery): boolean {
  return row.attempts === 0 && row.nextAttemptAt === 0;
}
