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

/** An event to write, with the id it is queued under. */
type Entry = { id: string; draft: CallEventDraft };

/**
 * Where call events enter the queue. `add` only appends to memory: the call path never waits for the
 * database. Batches are written in the background, in the order events were added, one row per
 * endpoint that wants the event; a failed write is tried again and logged. A call taken over has its
 * catch-up run beside the batches: only that call's events wait for it.
 */
export class WebhookOutbox {
  private buffer: Entry[] = [];
  private writing?: Promise<void>;
  private stopped = false;
  private readonly newId: () => string;
  /** Calls whose catch-up is running, each with its events added meanwhile (written once it is done). */
  private readonly held = new Map<string, Entry[]>();
  private readonly catchUps = new Set<Promise<void>>();

  constructor(private readonly deps: WebhookOutboxDeps) {
    this.newId = deps.newId ?? randomUUID;
  }

  add(draft: CallEventDraft): void {
    const entry = { id: eventIdOf(draft) ?? this.newId(), draft };
    const held = this.held.get(draft.callId);
    if (held) held.push(entry);
    else this.append([entry]);
  }

  /**
   * A call first seen mid-way (taken over): its events the instance before did not queue are
   * re-derived from the database and queued before the call's events added after this, keeping its
   * order; other calls' events are written meanwhile.
   */
  catchUp(callId: string): void {
    if (!this.deps.catchUp || this.held.has(callId)) return;
    this.held.set(callId, []);
    const running: Promise<void> = this.runCatchUp(callId).finally(() => { this.catchUps.delete(running); });
    this.catchUps.add(running);
  }

  private async runCatchUp(callId: string): Promise<void> {
    for (;;) {
      try {
        const rows = await this.deps.catchUp?.(callId) ?? 0;
        if (rows > 0) this.deps.onWritten?.();
        break;
      } catch (err) {
        this.deps.logger.error('a taken-over call\'s missed webhook events were not queued; trying again', { callId, err });
        if (this.stopped) {
          // Its later events are dropped too: queued without the ones before, they would hide those from the next start's check.
          this.held.delete(callId);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_WRITE_MS));
      }
    }
    const held = this.held.get(callId) ?? [];
    this.held.delete(callId);
    this.append(held);
  }

  private append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.buffer.push(...entries);
    if (this.buffer.length > MAX_BUFFERED) {
      const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      this.deps.logger.error('webhook events dropped: the database has refused writes for too long', { dropped: dropped.length });
    }
    this.writing ??= this.writeAll().finally(() => { this.writing = undefined; });
  }

  /** Resolves once everything added so far is written (or, stopped, given up on). */
  async written(): Promise<void> {
    while (this.writing || this.catchUps.size > 0) await Promise.all([this.writing, ...this.catchUps]);
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
        if (await this.writeEvents(batch) > 0) this.deps.onWritten?.();
      } catch (err) {
        this.deps.logger.error('webhook events not written to the queue; trying again', { events: batch.length, err });
        if (this.stopped) return;
        this.buffer.unshift(...batch);
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
