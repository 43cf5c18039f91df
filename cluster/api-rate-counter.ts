import type { DataSource } from 'typeorm';
import { databaseNowMs } from './database-clock';
import { returningRows } from './statement-result';

/**
 * The API keys' request counts in the database (api_rate_windows), so that a key's limit holds over
 * every instance together, not per instance. One statement per request: the row's window is
 * renewed once it has run out, by the database's clock, so instances whose clocks disagree count
 * the same minute.
 */
export class ApiRateCounter {
  private readonly now: string;

  constructor(private readonly dataSource: DataSource) {
    this.now = databaseNowMs(dataSource);
  }

  /** Counts one request of `counter`: its requests in the current window, this one included, and how long the window has left. */
  async hit(counter: string, windowMs: number): Promise<{ hits: number; ttlMs: number }> {
    // One placeholder per use: SQLite's `?` are positional, PostgreSQL's numbered.
    const parameters: unknown[] = [];
    const p = (value: unknown): string => {
      parameters.push(value);
      return this.dataSource.driver.createParameter(`p${parameters.length - 1}`, parameters.length - 1);
    };
    const expired = () => `api_rate_windows.window_start + ${p(windowMs)} <= excluded.window_start`;
    const rows = await returningRows(this.dataSource,
      `INSERT INTO api_rate_windows (counter, window_start, hits) VALUES (${p(counter.slice(0, 64))}, ${this.now}, 1)
       ON CONFLICT (counter) DO UPDATE SET
         hits = CASE WHEN ${expired()} THEN 1 ELSE api_rate_windows.hits + 1 END,
         window_start = CASE WHEN ${expired()} THEN excluded.window_start ELSE api_rate_windows.window_start END
       RETURNING hits, window_start + ${p(windowMs)} - ${this.now} AS ttl`,
      parameters);
    const row = rows[0];
    if (!row) throw new Error(`the API's request count for ${counter} was not written; check the database`);
    return { hits: Number(row.hits), ttlMs: Math.max(0, Number(row.ttl)) };
  }
}
