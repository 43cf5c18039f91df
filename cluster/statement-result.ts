import type { DataSource, QueryRunner } from 'typeorm';
import { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';

type Row = Record<string, unknown>;

/**
 * Runs one statement and returns the rows of its RETURNING clause, on both databases. TypeORM's
 * SQLite runner sends an INSERT or UPDATE through sqlite3's `run`, which drops those rows, so on
 * SQLite the statement goes to the connection's `all` instead.
 */
export async function returningRows(dataSource: DataSource, sql: string, parameters: unknown[]): Promise<Row[]> {
  const { driver } = dataSource;
  if (driver instanceof SqliteDriver) {
    const connection = driver.databaseConnection as { all(sql: string, parameters: unknown[], callback: (err: Error | null, rows: Row[]) => void): void };
    return new Promise((resolve, reject) => {
      connection.all(sql, parameters, (err, rows) => {
        if (err) reject(new Error(`SQLite statement failed: ${sql}`, { cause: err }));
        else resolve(rows);
      });
    });
  }
  return (await structured(dataSource, sql, parameters)).records ?? [];
}

/** Runs one UPDATE or DELETE and returns how many rows it changed, on both databases; inside `runner`'s transaction when given one. */
export async function affectedRows(dataSource: DataSource, sql: string, parameters: unknown[], runner?: QueryRunner): Promise<number> {
  return (await structured(dataSource, sql, parameters, runner)).affected ?? 0;
}

type Structured = { records?: Row[]; affected?: number };

async function structured(dataSource: DataSource, sql: string, parameters: unknown[], given?: QueryRunner): Promise<Structured> {
  if (given) return await given.query(sql, parameters, true) as Structured;
  const runner = dataSource.createQueryRunner();
  try {
    return await runner.query(sql, parameters, true) as Structured;
  } finally {
    await runner.release();
  }
}
