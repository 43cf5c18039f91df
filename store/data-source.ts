import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { databaseKind, databaseUrlProblem } from '../config/database-url';
import { ENTITIES, MIGRATIONS, SnakeCaseNaming } from '../entities';
import { postgresOpenError, sqliteDirectoryError, sqliteOpenError } from './database-errors';
import { sqlite3ForTypeorm } from './sqlite-connection';

/**
 * One DataSource for both databases, chosen by DATABASE_URL (`sqlite:<path>` or `postgres://…`).
 * Schema changes only through migrations: `synchronize` is never used.
 */
export function createDataSource(databaseUrl: string): DataSource {
  const file = sqliteFile(databaseUrl);
  if (file !== undefined) {
    return new DataSource({
      type: 'sqlite',
      driver: sqlite3ForTypeorm,
      database: file,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      namingStrategy: new SnakeCaseNaming(),
      synchronize: false,
      // WAL lets the bot read history while the engine writes transitions; busy_timeout absorbs short locks.
      enableWAL: file !== ':memory:',
      busyTimeout: 5000,
      logging: false,
    });
  }
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeCaseNaming(),
    synchronize: false,
    logging: false,
    extra: { max: 10, connectionTimeoutMillis: 10000 },
  });
}

/** Opens the database and applies pending migrations; returns the names it applied. */
export async function openDatabase(databaseUrl: string): Promise<{ dataSource: DataSource; applied: string[] }> {
  // The service has refused these already (exit 2); benches and specs call this directly.
  const kind = databaseKind(databaseUrl);
  const problem = databaseUrlProblem(databaseUrl);
  if (problem !== undefined || kind.kind === 'unsupported') throw new Error(`cannot open the database: DATABASE_URL ${problem ?? 'is not supported'}`);
  if (kind.kind === 'sqlite' && kind.file !== ':memory:') prepareSqliteDirectory(kind.file);
  const dataSource = createDataSource(databaseUrl);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw kind.kind === 'sqlite' ? sqliteOpenError(kind.file, err) : postgresOpenError(databaseUrl, err);
  }
  if (dataSource.options.type === 'sqlite') await dataSource.query('PRAGMA foreign_keys = ON');
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return { dataSource, applied: applied.map((m) => m.name) };
}

/** Creates the file's directory, and checks this process may write there before SQLite says only "cannot open". */
function prepareSqliteDirectory(file: string): void {
  const dir = path.dirname(path.resolve(file));
  try {
    makeDirectories(dir);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw sqliteDirectoryError(dir, err);
  }
  if (fs.existsSync(file)) {
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch (err) {
      throw sqliteOpenError(file, err);
    }
  }
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdirSync never returns for a path it cannot
 * create under /proc (it retries the parent forever), blocking even the stop on SIGTERM.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      // Another process made it meanwhile.
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
    }
  }
}

function sqliteFile(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
}
