import 'reflect-metadata';
import dotenv from 'dotenv';
import { openDatabase } from '../store/data-source';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (default: the SQLite file). */
async function migrate(): Promise<void> {
  dotenv.config({ quiet: true });
  const url = process.env.DATABASE_URL?.trim() || 'sqlite:data/callbot.sqlite';
  const { dataSource, applied } = await openDatabase(url);
  process.stdout.write(`${dataSource.options.type}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
  await dataSource.destroy();
}

migrate().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
