import type { WebhookEndpoint } from '../entities';
import type { WebhookEndpointStore } from '../store';
import type { WebhookEventType } from './webhook-events';

/** An endpoint as the outbox and the worker use it. */
export interface KnownEndpoint {
  id: number;
  url: string;
  secret: string;
  /** null: every event type. */
  events: ReadonlySet<WebhookEventType> | null;
}

export function knownEndpoint(row: WebhookEndpoint): KnownEndpoint {
  return { id: row.id, url: row.url, secret: row.secret, events: row.events ? new Set(row.events.split(',') as WebhookEventType[]) : null };
}

export function wants(endpoint: KnownEndpoint, type: WebhookEventType): boolean {
  return endpoint.events === null || endpoint.events.has(type);
}

/**
 * The endpoints, read from the database at most every `maxAgeMs` (and at once after a change made
 * here): the call path fans events out from memory, and an endpoint another instance added is
 * known here within that time.
 */
export class EndpointDirectory {
  private cached: KnownEndpoint[] | undefined;
  private readAt = 0;
  private reading?: Promise<KnownEndpoint[]>;

  constructor(private readonly deps: { endpoints: Pick<WebhookEndpointStore, 'all'>; maxAgeMs: number; now: () => number }) {}

  current(): Promise<KnownEndpoint[]> {
    if (this.cached && this.deps.now() - this.readAt < this.deps.maxAgeMs) return Promise.resolve(this.cached);
    this.reading ??= this.deps.endpoints.all().then((rows) => {
      this.cached = rows.map(knownEndpoint);
      this.readAt = this.deps.now();
      return this.cached;
    }).finally(() => { this.reading = undefined; });
    return this.reading;
  }

  async byId(id: number): Promise<KnownEndpoint | undefined> {
    const found = (await this.current()).find((e) => e.id === id);
    if (found) return found;
    // Added on another instance since the last read.
    this.invalidate();
    return (await this.current()).find((e) => e.id === id);
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
