import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS, SnakeCaseNaming } from './entities';
import { sqlite3ForTypeorm } from './store/sqlite-connection';

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
  const file = sqliteFile(databaseUrl);
  if (file && file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const dataSource = createDataSource(databaseUrl);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new Error(`cannot open the database (${dataSource.options.type})`, { cause: err });
  }
  if (dataSource.options.type === 'sqlite') await dataSource.query('PRAGMA foreign_keys = ON');
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return { dataSource, applied: applied.map((m) => m.name) };
}

function sqliteFile(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
}

/** For the TypeORM CLI (`typeorm migration:show -d ormconfig.ts`). */
export default createDataSource(process.env.DATABASE_URL ?? 'sqlite:data/callbot.sqlite');
