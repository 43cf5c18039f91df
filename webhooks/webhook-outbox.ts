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
  /** Queues what the database proves of a call taken over mid-way (missed-events.ts); the call's later events wait for it. */
  catchUp?: (callId: string) => Promise<number>;
}

/** An event to write, or a call taken over whose missed events are queued before anything added after it. */
type Entry = { kind: 'event'; id: string; draft: CallEventDraft } | { kind: 'catch-up'; callId: string };

/**
 * Where call events enter the queue. `add` only appends to memory: the call path never waits for the
 * database. Batches are written in the background, in the order events were added, one row per
 * endpoint that wants the event; a failed write is tried again and logged.
 */
export class WebhookOutbox {
  private buffer: Entry[] = [];
  private writing?: Promise<void>;
  private stopped = false;
  private readonly newId: () => string;

  constructor(private readonly deps: WebhookOutboxDeps) {
    this.newId = deps.newId ?? randomUUID;
  }

  add(draft: CallEventDraft): void {
    this.append({ kind: 'event', id: eventIdOf(draft) ?? this.newId(), draft });
  }

  /**
   * A call first seen mid-way (taken over): its events the instance before did not queue are
   * re-derived from the database and queued before the events added after this, keeping its order.
   */
  catchUp(callId: string): void {
    if (this.deps.catchUp) this.append({ kind: 'catch-up', callId });
  }

  private append(entry: Entry): void {
    this.buffer.push(entry);
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
      // A batch ends before the next catch-up: the call's events after it wait for what it queues.
      const next = this.buffer.findIndex((entry) => entry.kind === 'catch-up');
      const taken = this.buffer.splice(0, next === 0 ? 1 : Math.min(next === -1 ? this.buffer.length : next, MAX_BATCH));
      const events = taken.flatMap((entry) => (entry.kind === 'event' ? [entry] : []));
      try {
        const head = taken[0];
        const rows = head?.kind === 'catch-up' ? await this.deps.catchUp?.(head.callId) ?? 0 : await this.writeEvents(events);
        if (rows > 0) this.deps.onWritten?.();
      } catch (err) {
        this.deps.logger.error('webhook events not written to the queue; trying again', { events: events.length, err });
        if (this.stopped) return;
        this.buffer.unshift(...taken);
        await new Promise((resolve) => setTimeout(resolve, RETRY_WRITE_MS));
      }
    }
  }

  /** Returns how many rows it queued (one per endpoint that wants an event). */
  private async writeEvents(batch: ReadonlyArray<{ id: string; draft: CallEventDraft }>): Promise<number> {
    const endpoints = await this.deps.endpoints.current();
    const rows: NewWebhookDelivery[] = [];
    for (const { id, draft } of batch) {
      const body = eventBody(id, draft);
      for (const endpoint of endpoints) {
        if (wants(endpoint, draft.type)) rows.push({ endpointId: endpoint.id, eventId: id, eventType: draft.type, callId: draft.callId, body, createdAt: draft.at });
      }
    }
    await this.deps.deliveries.enqueue(rows);
    return rows.length;
  }
}
