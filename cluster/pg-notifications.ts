import { Client } from 'pg';
import { Observable, Subject } from 'rxjs';
import type { Logger } from '../config/logger';
import { cappedBackoffMs } from '../config/retry-log';

/**
 * LISTEN on one PostgreSQL channel over a connection of its own (a pooled one would be handed to
 * other queries), reconnecting with backoff. A notification only wakes a reader up: what it is
 * about is read from the tables, so one missed while reconnecting costs a poll interval, not data.
 */
export class PgNotifications {
  private readonly subject = new Subject<string>();
  private client?: Client;
  private stopped = false;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly databaseUrl: string, private readonly channel: string, private readonly logger: Logger) {}

  /** Each notification's payload. */
  get payloads(): Observable<string> {
    return this.subject.asObservable();
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.subject.complete();
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.subject.next(message.payload ?? '');
    });
    client.on('error', (err) => {
      this.logger.warn('the database notification connection failed; reconnecting', { channel: this.channel, err });
      this.retry(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
      this.client = client;
      this.attempt = 0;
    } catch (err) {
      this.logger.warn('cannot listen for database notifications; retrying', { channel: this.channel, err });
      this.retry(client);
    }
  }

  private retry(client: Client): void {
    void client.end().catch(() => undefined);
    if (this.client === client) this.client = undefined;
    if (this.stopped || this.retryTimer) return;
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, cappedBackoffMs(this.attempt, 200, 5000));
  }
}
