import type { DataSource } from 'typeorm';

/**
 * The database's clock in milliseconds since the epoch, as an SQL expression. Lease expiry is always
 * judged by it, so instances whose own clocks disagree still agree on who holds a lease. PostgreSQL's
 * `clock_timestamp()` is the moment of reading, not the start of the transaction like `now()`; SQLite
 * has a single instance by definition, so its host's clock is the only one.
 */
export function databaseNowMs(dataSource: DataSource): string {
  return dataSource.options.type === 'postgres'
    ? 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint)'
    : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
}
