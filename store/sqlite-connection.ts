import sqlite3 from 'sqlite3';
import type { DataSource } from 'typeorm';
import { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';

/**
 * The SQLite connection TypeORM opens (store/data-source.ts hands it this class), with statements that are
 * prepared once and kept for the connection's life: `dataSource.query` prepares, runs and finalizes
 * a statement each time, two trips through libuv's thread pool where a kept statement takes one
 * (docs/call-row-writes.md). SQLite will not close a connection while statements are open, so
 * `close` finalizes them first.
 */
export class SqliteConnection extends sqlite3.Database {
  private readonly statements = new Map<string, sqlite3.Statement>();

  /** Runs a write through the statement kept for `sql`, preparing it the first time. */
  runPrepared(sql: string, parameters: unknown[]): Promise<void> {
    let statement = this.statements.get(sql);
    if (!statement) {
      // With a callback, a statement that fails to prepare reports to its runs rather than as an
      // unhandled 'error' event; it is dropped so that the next write prepares it afresh.
      const prepared: sqlite3.Statement = this.prepare(sql, (err) => {
        if (err && this.statements.get(sql) === prepared) this.statements.delete(sql);
      });
      statement = prepared;
      this.statements.set(sql, statement);
    }
    return new Promise((resolve, reject) => {
      statement.run(parameters, (err: Error | null) => {
        if (err) reject(new Error(`SQLite write failed: ${sql}`, { cause: err }));
        else resolve();
      });
    });
  }

  override close(callback?: (err: Error | null) => void): void {
    for (const statement of this.statements.values()) statement.finalize();
    this.statements.clear();
    super.close(callback);
  }
}

/**
 * sqlite3 as TypeORM gets it: connections are SqliteConnections, and `verbose()` is a no-op.
 * TypeORM calls `verbose()` on the driver module, which wraps every statement in a stack capture
 * plus util.inspect of its SQL and parameters, only to lengthen the stack of a failed query: a
 * large share of the app's CPU while calls end (docs/benchmark-history.md, findings). A failed
 * query still carries SQLite's message and TypeORM's query text.
 */
export const sqlite3ForTypeorm = {
  verbose: (): typeof sqlite3 => Object.assign(Object.create(sqlite3) as typeof sqlite3, { Database: SqliteConnection }),
};

/** A write statement in the database's own dialect, with its parameters. */
export interface WriteQuery {
  sql: string;
  parameters: unknown[];
}

/** A write on SQLite through a statement the connection keeps (SqliteConnection); on PostgreSQL through the pool. */
export function runWrite(dataSource: DataSource, { sql, parameters }: WriteQuery): Promise<unknown> {
  const { driver } = dataSource;
  if (driver instanceof SqliteDriver && driver.databaseConnection instanceof SqliteConnection) {
    return driver.databaseConnection.runPrepared(sql, parameters);
  }
  return dataSource.query(sql, parameters);
}
