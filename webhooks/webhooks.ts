import type { Subscription } from 'rxjs';
import type { WebhookSettings } from '../config/webhook-settings';
import type { Logger } from '../config/logger';
import type { Stores } from '../store';
import { type CallEventSources, followCallEvents } from './call-event-feed';
import { EndpointDirectory } from './endpoint-directory';
import { DEFAULT_RETRY_SCHEDULE } from './retry-schedule';
import { WebhookEndpoints } from './webhook-endpoints';
import { WebhookOutbox } from './webhook-outbox';
import { REAL_WORKER_CLOCK, WebhookWorker, type WorkerClock } from './webhook-worker';

/** How often the queue is read for what other instances wrote (or leases that ran out); this instance's own events are posted at once. */
const POLL_MS = 1000;
/** How long an endpoint added on another instance may go unnoticed here. */
const ENDPOINTS_MAX_AGE_MS = 10_000;

export interface WebhooksDeps {
  stores: Pick<Stores, 'webhookEndpoints' | 'webhookDeliveries' | 'audit'>;
  settings: WebhookSettings;
  logger: Logger;
  /** Names this instance's claims (cluster mode: its instance id). */
  workerId: string;
  clock?: WorkerClock;
  fetch?: typeof fetch;
  random?: () => number;
  pollMs?: number;
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
    this.outbox = new WebhookOutbox({ deliveries: stores.webhookDeliveries, endpoints: this.directory, logger, onWritten: () => this.worker.poke() });
  }

  /** Follows the call streams; may be called again for more sources (a stream that appears later). */
  follow(sources: CallEventSources): void {
    this.subscriptions.push(...followCallEvents(sources, (draft) => this.outbox.add(draft), this.deps.logger));
  }

  start(): void {
    this.worker.start();
  }

  /** Stops following, writes the events still in memory, then stops posting (the queue keeps the rest for the next start). */
  async stop(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    await this.outbox.stop();
    await this.worker.stop();
  }
}
