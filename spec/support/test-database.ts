import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../ormconfig';

/**
 * The database a spec runs on: PostgreSQL when TEST_DATABASE_URL names one (scripts/with-postgres.sh
 * sets it), otherwise a fresh SQLite file. Each call gets an empty database.
 */
export function testDatabaseKind(): 'postgres' | 'sqlite' {
  return process.env.TEST_DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';
}

export async function freshDatabaseUrl(): Promise<string> {
  const pg = process.env.TEST_DATABASE_URL;
  if (pg?.startsWith('postgres')) {
    const admin = createDataSource(pg);
    await admin.initialize();
    try {
      await admin.query('DROP SCHEMA IF EXISTS public CASCADE');
      await admin.query('CREATE SCHEMA public');
    } finally {
      await admin.destroy();
    }
    return pg;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-db-'));
  return `sqlite:${path.join(dir, 'callbot.sqlite')}`;
}

export async function closeDatabase(dataSource: DataSource | undefined): Promise<void> {
  if (dataSource?.isInitialized) await dataSource.destroy();
}
