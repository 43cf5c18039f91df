import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { Call } from '../entities';

/** An INSERT or UPDATE of the calls table in the database's own SQL dialect, with its parameters. */
export interface CallRowQuery {
  sql: string;
  parameters: unknown[];
}

/**
 * The Call row's INSERT and UPDATE statements, built once per set of columns and then reused:
 * every call writes its row several times, the app's hottest database path, and TypeORM's query
 * builder rebuilt the same statement each time (docs/call-row-writes.md). Values still go through
 * the driver's own conversion, so rows are stored exactly as TypeORM writes them, on both databases.
 */
export class CallRowSql {
  private readonly inserts = new Map<string, string>();
  private readonly updates = new Map<string, string>();
  private readonly columns = new Map<string, ColumnMetadata>();
  private readonly table: string;
  private readonly idColumn: string;

  constructor(private readonly dataSource: DataSource) {
    const metadata = dataSource.getMetadata(Call);
    for (const column of metadata.columns) this.columns.set(column.propertyName, column);
    this.table = this.escape(metadata.tablePath);
    this.idColumn = this.escape(this.column('id').databaseName);
  }

  /** `INSERT INTO calls (…) VALUES (…)` of the row's defined fields (undefined ones stay NULL). */
  insert(row: Partial<Call>): CallRowQuery {
    const keys = definedKeys(row);
    const key = keys.join(',');
    let sql = this.inserts.get(key);
    if (sql === undefined) {
      const names = keys.map((k) => this.escape(this.column(k).databaseName)).join(', ');
      const values = keys.map((k, i) => this.dataSource.driver.createParameter(k, i)).join(', ');
      sql = `INSERT INTO ${this.table} (${names}) VALUES (${values})`;
      this.inserts.set(key, sql);
    }
    return { sql, parameters: this.values(row, keys) };
  }

  /** `UPDATE calls SET … WHERE id = …` of the patch's defined fields; undefined when there are none. */
  update(id: string, patch: Partial<Call>): CallRowQuery | undefined {
    const keys = definedKeys(patch);
    if (keys.length === 0) return undefined;
    const key = keys.join(',');
    let sql = this.updates.get(key);
    if (sql === undefined) {
      const { driver } = this.dataSource;
      const set = keys.map((k, i) => `${this.escape(this.column(k).databaseName)} = ${driver.createParameter(k, i)}`).join(', ');
      sql = `UPDATE ${this.table} SET ${set} WHERE ${this.idColumn} = ${driver.createParameter('id', keys.length)}`;
      this.updates.set(key, sql);
    }
    const parameters = this.values(patch, keys);
    parameters.push(id);
    return { sql, parameters };
  }

  private values(row: Partial<Call>, keys: (keyof Call)[]): unknown[] {
    const { driver } = this.dataSource;
    return keys.map((k) => driver.preparePersistentValue(row[k], this.column(k)));
  }

  private column(propertyName: string): ColumnMetadata {
    const column = this.columns.get(propertyName);
    if (!column) throw new Error(`calls has no column for "${propertyName}"`);
    return column;
  }

  private escape(name: string): string {
    return this.dataSource.driver.escape(name);
  }
}

/** The keys whose value is set, in the object's own order (which keys the statement caches by). */
function definedKeys(row: Partial<Call>): (keyof Call)[] {
  return (Object.keys(row) as (keyof Call)[]).filter((k) => row[k] !== undefined);
}
