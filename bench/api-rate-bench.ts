/**
 * What counting the API keys' requests in the database (cluster mode, cluster/api-rate-counter.ts)
 * adds to a request, against @fastify/rate-limit's in-memory count (a single instance): the same
 * authenticated request (`GET /v1/calls/{id}` of an unknown call, one read) sent one after another
 * to the API served both ways, in alternating rounds, on a fresh SQLite file or on PostgreSQL when
 * TEST_DATABASE_URL names one.
 *
 *   scripts/with-postgres.sh npm run bench:api-rate    # PostgreSQL (cluster mode's database)
 *   API_RATE_BENCH_N=500 npm run bench:api-rate        # a quick run on SQLite
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeys } from '../api/api-keys';
import { apiPlugin } from '../api/api-plugin';
import { IntegrationCalls } from '../api/integration-calls';
import { ApiRateCounter } from '../cluster/api-rate-counter';
import { DncService } from '../compliance/dnc-service';
import { silentLogger } from '../config/logger';
import { startHttpServer } from '../http/http-server';
import { createStores } from '../store';
import { CallPages } from '../store/call-pages';
import { openDatabase } from '../store/data-source';
import { summarize, table } from './stats';

const N = Number(process.env.API_RATE_BENCH_N ?? 2000);
const ROUNDS = 4;
const CONFIG = { defaultRegion: 'US' as const, allowedCountries: ['US' as const], api: { promptTtlS: 600 } };

async function main(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-api-rate-')), 'bench.sqlite')}`;
  const { dataSource } = await openDatabase(url);
  const stores = createStores(dataSource);
  const dnc = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: CONFIG });
  const keys = new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: 60 });
  const made = await keys.create('1000', 'bench', ['calls:read'], 100_000);
  if (!made.ok) throw new Error(`the bench's key was not made: ${made.refusal}`);
  const calls = new IntegrationCalls({ requests: stores.apiCallRequests, agents: stores.agents, settings: stores.settings, audit: stores.audit, dnc, config: CONFIG });
  const serve = (rateCounter?: ApiRateCounter) => startHttpServer({
    host: '127.0.0.1', port: 0, bodyLimitBytes: 65_536, logger: silentLogger(),
    parts: [apiPlugin({ keys, calls, pages: new CallPages(dataSource), dnc, audit: stores.audit, config: CONFIG, logger: silentLogger(), ...(rateCounter ? { rateCounter } : {}) })],
  });
  const servers = { memory: await serve(), database: await serve(new ApiRateCounter(dataSource)) };
  const took: Record<keyof typeof servers, number[]> = { memory: [], database: [] };
  const headers = { authorization: `Bearer ${made.token}` };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const mode of ['memory', 'database'] as const) {
      const base = `http://127.0.0.1:${servers[mode].address.port}/v1/calls/00000000-0000-0000-0000-000000000000`;
      for (let i = 0; i < N / ROUNDS; i += 1) {
        const started = process.hrtime.bigint();
        const response = await fetch(base, { headers });
        await response.arrayBuffer();
        if (response.status !== 404) throw new Error(`expected 404 for an unknown call, got ${response.status}`);
        // The first round warms both up (connections, JIT) and is not counted.
        if (round > 0) took[mode].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
  }
  const memory = summarize(took.memory);
  const database = summarize(took.database);
  const ms = (v: number) => v.toFixed(2);
  process.stdout.write(`API rate limit on ${dataSource.options.type}: ${took.memory.length} requests each way, one at a time\n`);
  process.stdout.write(`${table(['count', 'n', 'p50 ms', 'p99 ms', 'max ms'], [
    ['in memory', String(memory.n), ms(memory.p50), ms(memory.p99), ms(memory.max)],
    ['in the database', String(database.n), ms(database.p50), ms(database.p99), ms(database.max)],
  ])}\nadded per request: p50 ${ms(database.p50 - memory.p50)} ms, p99 ${ms(database.p99 - memory.p99)} ms\n`);
  await servers.memory.close();
  await servers.database.close();
  await dataSource.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`the API rate bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
