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
  const server = process.env.TEST_DATABASE_URL;
  if (server?.startsWith('postgres')) {
    const pg = await workerDatabase(server);
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

const workerDatabases = new Map<string, Promise<string>>();

/**
 * The database of this jest worker on the server: each worker resets its own schema, so the
 * PostgreSQL pass can run on several workers at once. Created on first use; the server is
 * throwaway (scripts/with-postgres.sh), so nothing drops it.
 */
function workerDatabase(server: string): Promise<string> {
  const known = workerDatabases.get(server);
  if (known) return known;
  const created = (async () => {
    const url = new URL(server);
    const name = `${url.pathname.slice(1)}_worker_${process.env.JEST_WORKER_ID ?? '1'}`;
    const admin = createDataSource(server);
    await admin.initialize();
    try {
      const found: unknown[] = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.length === 0) await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.destroy();
    }
    url.pathname = `/${name}`;
    return url.toString();
  })();
  workerDatabases.set(server, created);
  return created;
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
