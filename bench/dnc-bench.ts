/**
 * The do-not-call list at scale: imports a generated file in the US National DNC Registry's
 * download format (`202,5550123` per line) through the same streaming import the bot uses, then
 * times do-not-call rule checks, half of them listed numbers, one after another. On a fresh SQLite
 * file, or on PostgreSQL when TEST_DATABASE_URL names one (scripts/with-postgres.sh sets it).
 *
 *   npm run bench:dnc                                   # SQLite, 10,000,000 numbers
 *   DNC_BENCH_N=100000 npm run bench:dnc                # a quick run
 *   scripts/with-postgres.sh npm run bench:dnc          # PostgreSQL
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { importDncLines } from '../compliance/dnc-import';
import { dncLineReader } from '../compliance/dnc-line';
import { openDatabase } from '../store/data-source';
import { DoNotCallRule } from '../compliance/rules/do-not-call-rule';
import { createStores } from '../store';
import { dncNumber } from '../store/dnc-store';
import { summarize, table } from './stats';

const N = Number(process.env.DNC_BENCH_N ?? 10_000_000);
const CHECKS = Number(process.env.DNC_BENCH_CHECKS ?? 20_000);
const SAMPLE_EVERY = Math.max(1, Math.floor(N / CHECKS));

/** Numbers spread over NANP-shaped area codes and exchanges in a fixed pseudo-random order (seeded xorshift32). */
function* registryLines(n: number, sample: number[]): Generator<string> {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let i = 0; i < n; i++) {
    const area = 200 + (next() % 800);
    const number = 2_000_000 + (next() % 8_000_000);
    if (i % SAMPLE_EVERY === 0) sample.push(Number(`1${area}${number}`));
    yield `${area},${number}\n`;
  }
}

async function writeFile(file: string, sample: number[]): Promise<void> {
  const out = fs.createWriteStream(file);
  let chunk = '';
  for (const line of registryLines(N, sample)) {
    chunk += line;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-dnc-'));
  const pg = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? process.env.TEST_DATABASE_URL : undefined;
  const sqliteFile = path.join(dir, 'callbot.sqlite');
  const { dataSource } = await openDatabase(pg ?? `sqlite:${sqliteFile}`);
  const stores = createStores(dataSource);
  const kind = pg ? `PostgreSQL ${((await dataSource.query('SHOW server_version')) as { server_version: string }[])[0]?.server_version}` : 'SQLite (WAL)';

  const file = path.join(dir, 'registry.txt');
  const sample: number[] = [];
  await writeFile(file, sample);
  process.stdout.write(`do-not-call bench on ${kind}: ${N.toLocaleString('en-US')} registry-format lines (${mb(fs.statSync(file).size)} file)\n`);

  const listing = await stores.dnc.createListing({ kind: 'import', addedBy: 'bench', reason: 'bench import' });
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const summary = await importDncLines(lines, stores.dnc, listing, { reader: dncLineReader('US') });
  const importS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);

  const rule = new DoNotCallRule(stores.dnc);
  const probes = sample.flatMap((key) => [key, key + 1_000_000_000_000]); // the second is never listed (+1 then 13 digits)
  const timings: number[] = [];
  let refused = 0;
  for (const [i, key] of probes.entries()) {
    const started = process.hrtime.bigint();
    const refusal = await rule.check({ agentId: 1, agentTelegramId: '1', target: dncNumber(key), route: 'M', at: Date.now() });
    const took = Number(process.hrtime.bigint() - started) / 1e6;
    if (i >= 200) timings.push(took); // the first ones warm the cache and the statement paths
    if (refusal) refused += 1;
  }
  const checks = summarize(timings);

  let size: string;
  if (pg) {
    const [row] = await dataSource.query(`SELECT pg_total_relation_size('dnc_numbers') AS numbers, pg_database_size(current_database()) AS db`) as { numbers: string; db: string }[];
    size = `dnc_numbers ${mb(Number(row?.numbers))} (table and primary key), database ${mb(Number(row?.db))}`;
  } else {
    await dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
    const [row] = await dataSource.query(`SELECT sum(pgsize) AS bytes FROM dbstat WHERE name = 'dnc_numbers'`).catch(() => [{ bytes: NaN }]) as { bytes: number }[];
    size = `dnc_numbers ${Number.isFinite(row?.bytes) ? mb(Number(row?.bytes)) : 'n/a'}, file ${mb(fs.statSync(sqliteFile).size)}`;
  }

  process.stdout.write(`${table(['figure', 'value'], [
    ['import wall time', `${importS.toFixed(1)} s`],
    ['import rate', `${Math.round(summary.lines / importS).toLocaleString('en-US')} lines/s`],
    ['import CPU (this process)', `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`],
    ['added / already present / invalid', `${summary.added} / ${summary.alreadyPresent} / ${summary.invalid}`],
    ['rule checks timed', `${checks.n} (${refused} refused)`],
    ['check p50', `${(checks.p50 * 1000).toFixed(0)} µs`],
    ['check p99', `${(checks.p99 * 1000).toFixed(0)} µs`],
    ['check max', `${(checks.max * 1000).toFixed(0)} µs`],
    ['size', size],
  ])}\n`);
  await dataSource.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
