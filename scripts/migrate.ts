import 'reflect-metadata';
import dotenv from 'dotenv';
import { ConfigError } from '../config/config';
import { databaseUrlProblem } from '../config/database-url';
import { openDatabase } from '../store/data-source';

/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (default: the SQLite file).
 * Exit codes as the service's: 0 done; 1 failed (the reason on stderr); 2 DATABASE_URL is invalid.
 */
async function migrate(): Promise<void> {
  dotenv.config({ quiet: true });
  const url = process.env.DATABASE_URL?.trim() || 'sqlite:data/callbot.sqlite';
  const problem = databaseUrlProblem(url);
  if (problem) {
    process.stderr.write(`${new ConfigError([`DATABASE_URL: ${problem}`]).message}\nSee .env.example for every variable.\n`);
    process.exit(2);
  }
  const { dataSource, applied } = await openDatabase(url);
  process.stdout.write(`${dataSource.options.type}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
  await dataSource.destroy();
}

migrate().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
