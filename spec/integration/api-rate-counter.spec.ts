import type { DataSource } from 'typeorm';
import { ApiRateCounter } from '../../cluster/api-rate-counter';
import { openDatabase } from '../../store/data-source';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();

/** The API keys' shared request counts (cluster mode's rate limit), on the database itself. */
describe(`the API's shared rate counter on ${kind}`, () => {
  let dataSources: DataSource[];

  beforeEach(async () => {
    const url = await freshDatabaseUrl();
    dataSources = [(await openDatabase(url)).dataSource];
    // PostgreSQL: a second instance's own connections. SQLite has one process by definition.
    if (kind === 'postgres') dataSources.push((await openDatabase(url)).dataSource);
  });
  afterEach(async () => {
    for (const dataSource of dataSources) await closeDatabase(dataSource);
  });

  it('given requests counted through every instance, then each key counts its own, one after another, with the window\'s time left', async () => {
    const counters = dataSources.map((d) => new ApiRateCounter(d));
    const hits: number[] = [];
    for (let i = 0; i < 6; i += 1) hits.push((await counters[i % counters.length]!.hit('crm', 60_000)).hits);
    expect(hits).toEqual([1, 2, 3, 4, 5, 6]);
    const other = await counters[0]!.hit('erp', 60_000);
    expect(other.hits).toBe(1);
    expect(other.ttlMs).toBeGreaterThan(55_000);
    expect(other.ttlMs).toBeLessThanOrEqual(60_000);
  });

  it('given many requests at once on every instance, then none is lost: the counts are 1 to N', async () => {
    const counters = dataSources.map((d) => new ApiRateCounter(d));
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => counters[i % counters.length]!.hit('crm', 60_000)));
    expect(answers.map((x) => x.hits).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('given a window that has run out, when the key is used again, then it counts from one in a new window', async () => {
    const counter = new ApiRateCounter(dataSources[0]!);
    await counter.hit('crm', 300);
    expect((await counter.hit('crm', 300)).hits).toBe(2);
    await waitFor(async () => (await counter.hit('crm', 300)).hits === 1, { what: 'a new window', timeoutMs: 3000, everyMs: 100 });
  });
});
