import type { DataSource, Repository } from 'typeorm';
import { WebhookEndpoint } from '../entities';

export interface NewWebhookEndpoint {
  url: string;
  secret: string;
  /** Event types, or null for every type. */
  events: readonly string[] | null;
  createdBy: string;
}

/** The webhook_endpoints table: the URLs super admins registered for the call events. */
export class WebhookEndpointStore {
  private readonly rows: Repository<WebhookEndpoint>;

  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(WebhookEndpoint);
  }

  async add(entry: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    const saved = await this.rows.save(this.rows.create({
      url: entry.url, secret: entry.secret, events: entry.events ? entry.events.join(',') : null, createdBy: entry.createdBy,
    }));
    return saved;
  }

  /** Every endpoint, oldest first. */
  all(): Promise<WebhookEndpoint[]> {
    return this.rows.find({ order: { id: 'ASC' } });
  }

  byId(id: number): Promise<WebhookEndpoint | null> {
    return this.rows.findOneBy({ id });
  }

  /** False when there was no such endpoint. */
  async remove(id: number): Promise<boolean> {
    const result = await this.rows.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
