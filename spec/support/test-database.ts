import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../store/data-source';

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

let throwawayCount = 0;

/**
 * A PostgreSQL database of its own on TEST_DATABASE_URL's server (or `server`), for specs whose several
 * processes share one database: other specs (in other jest workers) reset TEST_DATABASE_URL's
 * schema, which must not pull the floor from under running processes. `drop` removes it, closing
 * whatever connections a killed process left.
 */
export async function throwawayPostgresDatabase(server = process.env.TEST_DATABASE_URL): Promise<{ url: string; drop(): Promise<void> }> {
  if (!server?.startsWith('postgres')) throw new Error('TEST_DATABASE_URL names no PostgreSQL server (run under scripts/with-postgres.sh)');
  throwawayCount += 1;
  const name = `callbot_throwaway_${process.pid}_${throwawayCount}`;
  const onServer = async (sql: string) => {
    const admin = createDataSource(server);
    await admin.initialize();
    try {
      await admin.query(sql);
    } finally {
      await admin.destroy();
    }
  };
  await onServer(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
