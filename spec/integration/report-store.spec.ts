import type { DataSource } from 'typeorm';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { endedCall } from '../support/report-calls';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const at = (h: number, ms = 0) => new Date(Date.UTC(2026, 11, 6, h, 0, 0, ms));

describe(`what reports read, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let ann: number;
  let bob: number;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    ann = (await stores.agents.authorize({ telegramId: '2001', phone: '+12025550101', by: '1' })).id;
    bob = (await stores.agents.authorize({ telegramId: '2002', phone: '+12025550102', by: '1' })).id;
  });

  afterEach(() => closeDatabase(dataSource));

  async function pagesOf(range: Parameters<Stores['reports']['callPages']>[0], pageSize: number): Promise<string[][]> {
    const pages: string[][] = [];
    for await (const page of stores.reports.callPages(range, pageSize)) pages.push(page.map((c) => c.id));
    return pages;
  }

  it('given calls in and around a range, several at the same instant, when read in pages of 2, then each call in the range comes once, in request order', async () => {
    const before = await endedCall(stores, ann, at(7));
    const ids: string[] = [];
    for (const [agent, time] of [[ann, at(8)], [bob, at(9)], [ann, at(9)], [bob, at(9)], [ann, at(10, 1)]] as const) ids.push((await endedCall(stores, agent, time)).id);
    await endedCall(stores, ann, at(11));

    const pages = await pagesOf({ from: at(8), to: at(11) }, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(ids);
    expect(pages.flat()).not.toContain(before.id);
  });

  it('given one agent asked for, then only the calls they placed are read', async () => {
    await endedCall(stores, ann, at(8));
    const bobs = [(await endedCall(stores, bob, at(8, 5))).id, (await endedCall(stores, bob, at(9))).id];
    expect((await pagesOf({ from: at(0), to: at(23), agentId: bob }, 1000)).flat()).toEqual(bobs);
  });

  it('given no calls in the range, then there are no pages', async () => {
    await endedCall(stores, ann, at(8));
    expect(await pagesOf({ from: at(9), to: at(10) }, 10)).toEqual([]);
  });

  it('given a day, when claimed by five at once and again later, then exactly one claim wins it; the next day can be claimed once more', async () => {
    const claims = await Promise.all(Array.from({ length: 5 }, () => stores.reports.claimDay('daily', '2026-12-06')));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await stores.reports.claimDay('daily', '2026-12-06')).toBe(false);
    expect(await stores.reports.claimDay('daily', '2026-12-05')).toBe(false);
    expect(await stores.reports.claimDay('daily', '2026-12-07')).toBe(true);
    expect(await stores.reports.claimDay('weekly', '2026-12-06')).toBe(true);
  });
});
