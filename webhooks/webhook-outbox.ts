import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/logger';
import type { WebhookDeliveryStore } from '../store';
import type { NewWebhookDelivery } from '../store/webhook-delivery-store';
import type { EndpointDirectory } from './endpoint-directory';
import { wants } from './endpoint-directory';
import { type CallEventDraft, eventBody, eventIdOf } from './webhook-events';

/** Events written in one transaction at most. */
const MAX_BATCH = 500;
/** Held in memory while the database refuses writes; past this the oldest are dropped (and logged). */
const MAX_BUFFERED = 100_000;
const RETRY_WRITE_MS = 1000;

export interface WebhookOutboxDeps {
  deliveries: Pick<WebhookDeliveryStore, 'enqueue'>;
  endpoints: Pick<EndpointDirectory, 'current'>;
  logger: Logger;
  /** Told after each batch is written, so the worker posts it at once instead of at its next poll. */
  onWritten?: () => void;
  newId?: () => string;
}

/**
 * Where call events enter the queue. `add` only appends to memory: the call path never waits for the
 * database. Batches are written in the background, in the order events were added, one row per
 * endpoint that wants the event; a failed write is tried again and logged.
 */
export class WebhookOutbox {
  private buffer: Array<{ id: string; draft: CallEventDraft }> = [];
  private writing?: Promise<void>;
  private stopped = false;
  private readonly newId: () => string;

  constructor(private readonly deps: WebhookOutboxDeps) {
    this.newId = deps.newId ?? randomUUID;
  }

  add(draft: CallEventDraft): void {
    this.buffer.push({ id: eventIdOf(draft) ?? this.newId(), draft });
    if (this.buffer.length > MAX_BUFFERED) {
      const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      this.deps.logger.error('webhook events dropped: the database has refused writes for too long', { dropped: dropped.length });
    }
    this.writing ??= this.writeAll().finally(() => { this.writing = undefined; });
  }

  /** Resolves once everything added so far is written (or, stopped, given up on). */
  async written(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is left, trying once more; after that, `add` still writes but failures are not retried. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.writing ??= this.buffer.length > 0 ? this.writeAll().finally(() => { this.writing = undefined; }) : undefined;
    await this.written();
  }

  private async writeAll(): Promise<void> {
    // One turn of the event loop: the events of the same ARI event are written in one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, MAX_BATCH);
      try {
        const endpoints = await this.deps.endpoints.current();
        const rows: NewWebhookDelivery[] = [];
        for (const { id, draft } of batch) {
          const body = eventBody(id, draft);
          for (const endpoint of endpoints) {
            if (wants(endpoint, draft.type)) rows.push({ endpointId: endpoint.id, eventId: id, eventType: draft.type, callId: draft.callId, body, createdAt: draft.at });
          }
        }
        await this.deps.deliveries.enqueue(rows);
        if (rows.length > 0) this.deps.onWritten?.();
      } catch (err) {
        this.deps.logger.error('webhook events not written to the queue; trying again', { events: batch.length, err });
        if (this.stopped) return;
        this.buffer.unshift(...batch);
        await new Promise((resolve) => setTimeout(resolve, RETRY_WRITE_MS));
      }
    }
  }
}
