import type { Subscription } from 'rxjs';
import type { WebhookSettings } from '../config/webhook-settings';
import type { Logger } from '../config/logger';
import type { Stores } from '../store';
import { type CallEventSources, followCallEvents } from './call-event-feed';
import { EndpointDirectory } from './endpoint-directory';
import { DEFAULT_RETRY_SCHEDULE } from './retry-schedule';
import { WebhookEndpoints } from './webhook-endpoints';
import { WebhookOutbox } from './webhook-outbox';
import { enqueueMissedEvents, enqueueMissedEventsOfCall } from './missed-events';
import { REAL_WORKER_CLOCK, WebhookWorker, type WorkerClock } from './webhook-worker';

/** How often the queue is read for what other instances wrote (or leases that ran out); this instance's own events are posted at once. */
const POLL_MS = 1000;
/** How long an endpoint added on another instance may go unnoticed here. */
const ENDPOINTS_MAX_AGE_MS = 10_000;
/** How far back a start looks for ended calls whose last events the last run may not have queued (a crashed process is restarted well within it). */
const MISSED_ENDS_LOOKBACK_MS = 3_600_000;
/** How far back a periodic check looks (cluster mode): each call's end (or disposition) is in several checks' windows. */
const RECHECK_LOOKBACK_MS = 180_000;
/** Events younger than this are left to the live outbox that tells them (it writes within milliseconds). */
const RECHECK_SETTLE_MS = 15_000;

export interface WebhooksDeps {
  stores: Pick<Stores, 'webhookEndpoints' | 'webhookDeliveries' | 'audit' | 'calls' | 'recordings' | 'apiCallRequests' | 'apiKeys' | 'legs'>;
  settings: WebhookSettings;
  logger: Logger;
  /** Names this instance's claims (cluster mode: its instance id). */
  workerId: string;
  clock?: WorkerClock;
  fetch?: typeof fetch;
  random?: () => number;
  pollMs?: number;
  /**
   * How long after start the calls table is checked for ends the last run did not queue. Cluster
   * mode waits a moment: another instance's outbox may be writing a call's end just then.
   */
  missedEndsAfterMs?: number;
  /**
   * Cluster mode: how often the database is checked again for events an instance that died did not
   * queue (its calls go on, or end, on another instance; its taps and API requests are in the database).
   */
  recheckEveryMs?: number;
  /** How long after an API request its agent may still tap its prompt (the prompt's lifetime): its steps are checked that far back. */
  requestStepsWithinMs?: number;
}

/**
 * Signed webhooks out, wired once (app/main.ts): the endpoints super admins manage, the outbox the
 * call events enter, and the worker that posts them. Every instance runs all three; the queue in
 * the database decides which one posts each delivery.
 */
export class Webhooks {
  readonly endpoints: WebhookEndpoints;
  readonly outbox: WebhookOutbox;
  readonly worker: WebhookWorker;
  private readonly directory: EndpointDirectory;
  private subscriptions: Subscription[] = [];
  private missedEndsTimer?: NodeJS.Timeout;
  private missedEnds?: Promise<void>;
  private recheckTimer?: NodeJS.Timeout;

  constructor(private readonly deps: WebhooksDeps) {
    const { stores, settings, logger } = deps;
    const clock = deps.clock ?? REAL_WORKER_CLOCK;
    this.directory = new EndpointDirectory({ endpoints: stores.webhookEndpoints, maxAgeMs: ENDPOINTS_MAX_AGE_MS, now: () => clock.now() });
    this.endpoints = new WebhookEndpoints({ endpoints: stores.webhookEndpoints, deliveries: stores.webhookDeliveries, audit: stores.audit, directory: this.directory });
    this.worker = new WebhookWorker({
      deliveries: stores.webhookDeliveries, endpoints: this.directory, logger, workerId: deps.workerId, clock,
      settings: {
        timeoutMs: settings.timeoutMs, concurrency: settings.concurrency, pollMs: deps.pollMs ?? POLL_MS, keepFinishedMs: settings.keepFinishedMs,
        schedule: { ...DEFAULT_RETRY_SCHEDULE, maxDelayMs: settings.maxRetryDelayMs, giveUpAfterMs: settings.retryForMs },
      },
      ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.random ? { random: deps.random } : {}),
    });
    this.outbox = new WebhookOutbox({
      deliveries: stores.webhookDeliveries, endpoints: this.directory, logger, onWritten: () => this.worker.poke(),
      catchUp: (callId) => this.catchUp(callId),
    });
  }

  /** Follows the call streams; may be called again for more sources (a stream that appears later). */
  follow(sources: CallEventSources): void {
    this.subscriptions.push(...followCallEvents(sources, (draft) => this.outbox.add(draft), this.deps.logger, (callId) => this.outbox.catchUp(callId)));
  }

  /** Queues what the database proves of a call taken over mid-way that the instance before did not queue (it may have died first). */
  private async catchUp(callId: string): Promise<number> {
    const { stores, logger } = this.deps;
    const deps = { calls: stores.calls, recordings: stores.recordings, deliveries: stores.webhookDeliveries, endpoints: stores.webhookEndpoints, legs: stores.legs };
    const queued = await enqueueMissedEventsOfCall(deps, callId, (this.deps.clock ?? REAL_WORKER_CLOCK).now());
    if (queued > 0) logger.warn('call events the instance before did not queue for the webhooks were queued from the database', { callId, queued });
    return queued;
  }

  start(): void {
    this.worker.start();
    const check = () => {
      this.missedEndsTimer = undefined;
      this.missedEnds = this.checkMissed({ lookbackMs: MISSED_ENDS_LOOKBACK_MS, requestsLookbackMs: MISSED_ENDS_LOOKBACK_MS + (this.deps.requestStepsWithinMs ?? 0) }, 'the last run');
      const every = this.deps.recheckEveryMs;
      if (every) this.recheckTimer = setInterval(() => this.recheck(), every).unref();
    };
    if (this.deps.missedEndsAfterMs) this.missedEndsTimer = setTimeout(check, this.deps.missedEndsAfterMs).unref();
    else check();
  }

  /** One periodic check, unless the one before it is still running. */
  private recheck(): void {
    if (this.rechecking) return;
    const requestsLookbackMs = RECHECK_LOOKBACK_MS + (this.deps.requestStepsWithinMs ?? 0);
    this.rechecking = this.checkMissed({ lookbackMs: RECHECK_LOOKBACK_MS, settleMs: RECHECK_SETTLE_MS, requestsLookbackMs }, 'an instance that stopped')
      .finally(() => { this.rechecking = undefined; });
  }

  private rechecking?: Promise<void>;

  private async checkMissed(window: { lookbackMs: number; settleMs?: number; requestsLookbackMs: number }, who: string): Promise<void> {
    const { stores, logger } = this.deps;
    const now = (this.deps.clock ?? REAL_WORKER_CLOCK).now();
    const deps = {
      calls: stores.calls, recordings: stores.recordings, requests: stores.apiCallRequests, apiKeys: stores.apiKeys,
      deliveries: stores.webhookDeliveries, endpoints: stores.webhookEndpoints, legs: stores.legs,
    };
    try {
      const queued = await enqueueMissedEvents(deps, { now, ...window });
      if (queued === 0) return;
      logger.warn(`call events ${who} did not queue for the webhooks were queued from the database`, { queued });
      this.worker.poke();
    } catch (err) {
      logger.error('the database could not be checked for call events the webhooks missed; the next check tries again', { err });
    }
  }

  /** Resolves once the start's check for call events the last run missed is done (specs). */
  async checkedMissedEnds(): Promise<void> {
    await this.missedEnds;
  }

  /** Stops following, writes the events still in memory, then stops posting (the queue keeps the rest for the next start). */
  async stop(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    clearTimeout(this.missedEndsTimer);
    clearInterval(this.recheckTimer);
    await this.missedEnds;
    await this.rechecking;
    await this.outbox.stop();
    await this.worker.stop();
  }
}
