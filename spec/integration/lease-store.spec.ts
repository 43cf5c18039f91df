import type { DataSource, QueryRunner } from 'typeorm';
import { fencedUpdate, type Fence } from '../../cluster/fenced-update';
import { LeaseStore } from '../../cluster/lease-store';
import { createDataSource, openDatabase } from '../../store/data-source';
import { createStores } from '../../store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
const LONG_TTL_MS = 60_000;
const SHORT_TTL_MS = 300;

describe(`leases with fencing tokens on ${kind}`, () => {
  let url: string;
  let dataSource: DataSource;
  let store: LeaseStore;
  const instances: DataSource[] = [];

  beforeAll(() => {
    // Printed on purpose: the test log must show which database really ran.
    process.stdout.write(`lease store spec running on ${kind}\n`);
  });

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    ({ dataSource } = await openDatabase(url));
    store = new LeaseStore(dataSource);
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) await closeDatabase(instance);
    await closeDatabase(dataSource);
  });

  /** Another instance of the app: its own DataSource, so its own connections, on the same database. */
  async function anotherInstance(): Promise<LeaseStore> {
    const instance = createDataSource(url);
    await instance.initialize();
    instances.push(instance);
    return new LeaseStore(instance);
  }

  /** Waits until the lease has expired by the database's clock. */
  const lapsed = (name: string) => waitFor(async () => (await store.current(name)) === null, { what: `${name} lapsed`, timeoutMs: SHORT_TTL_MS + 5000, everyMs: 20 });

  it('given a lease nobody took, when it is acquired, then its holder has the first token', async () => {
    expect(await store.current('dispatcher')).toBeNull();
    const token = await store.acquire('dispatcher', 'a', LONG_TTL_MS);
    expect(token).toBe(1n);
    expect(await store.current('dispatcher')).toMatchObject({ holder: 'a', token: 1n });
  });

  it('given a free lease, when many instances race to acquire it, then exactly one wins each round, with a higher token each time', async () => {
    const racers = await Promise.all(Array.from({ length: 6 }, () => anotherInstance()));
    let previous = 0n;
    for (let round = 0; round < 5; round += 1) {
      const attempts = racers.flatMap((racer, i) => [0, 1, 2].map((j) => {
        const holder = `instance-${i}-attempt-${j}`;
        return racer.acquire('dispatcher', holder, LONG_TTL_MS).then((token) => ({ holder, token }));
      }));
      const winners = (await Promise.all(attempts)).filter((a) => a.token !== null);
      expect(winners).toHaveLength(1);
      const [winner] = winners;
      expect(winner.token).toBeGreaterThan(previous);
      expect(await store.current('dispatcher')).toMatchObject({ holder: winner.holder, token: winner.token });
      previous = winner.token as bigint;
      expect(await store.release('dispatcher', winner.holder, previous)).toBe(true);
    }
  });

  it('given a held lease, then another holder cannot acquire it, and its holder re-acquiring keeps its token', async () => {
    const token = await store.acquire('dispatcher', 'a', LONG_TTL_MS);
    const other = await anotherInstance();
    expect(await other.acquire('dispatcher', 'b', LONG_TTL_MS)).toBeNull();
    expect(await store.acquire('dispatcher', 'a', LONG_TTL_MS)).toBe(token);
    expect(await store.current('dispatcher')).toMatchObject({ holder: 'a', token });
  });

  it('given a held lease, when its ttl passes by the database\'s clock, then another holder takes it over with a higher token', async () => {
    const first = await store.acquire('dispatcher', 'a', SHORT_TTL_MS) as bigint;
    await lapsed('dispatcher');
    const other = await anotherInstance();
    const second = await other.acquire('dispatcher', 'b', LONG_TTL_MS);
    expect(second).toBeGreaterThan(first);
    expect(await store.current('dispatcher')).toMatchObject({ holder: 'b', token: second });
  });

  it('given a holder that lets its lease lapse with nobody taking it, when it acquires again, then its token is raised', async () => {
    const first = await store.acquire('dispatcher', 'a', SHORT_TTL_MS) as bigint;
    await lapsed('dispatcher');
    expect(await store.acquire('dispatcher', 'a', LONG_TTL_MS)).toBeGreaterThan(first);
  });

  it('given a held lease, when renewed, then it lasts a ttl from the renewal; a wrong holder or token renews nothing', async () => {
    const token = await store.acquire('dispatcher', 'a', SHORT_TTL_MS) as bigint;
    expect(await store.renew('dispatcher', 'a', token, LONG_TTL_MS)).toBe(true);
    expect((await store.current('dispatcher'))?.expiresInMs).toBeGreaterThan(LONG_TTL_MS - 5_000);
    expect(await store.renew('dispatcher', 'b', token, LONG_TTL_MS)).toBe(false);
    expect(await store.renew('dispatcher', 'a', token + 1n, LONG_TTL_MS)).toBe(false);
    expect(await store.renew('elsewhere', 'a', token, LONG_TTL_MS)).toBe(false);
  });

  it('given a held lease, when released, then another holder acquires it at once with a higher token, and the old holding can neither renew nor release it', async () => {
    const first = await store.acquire('dispatcher', 'a', LONG_TTL_MS) as bigint;
    expect(await store.release('dispatcher', 'a', first)).toBe(true);
    expect(await store.current('dispatcher')).toBeNull();
    const other = await anotherInstance();
    const second = await other.acquire('dispatcher', 'b', LONG_TTL_MS);
    expect(second).toBeGreaterThan(first);
    expect(await store.renew('dispatcher', 'a', first, LONG_TTL_MS)).toBe(false);
    expect(await store.release('dispatcher', 'a', first)).toBe(false);
    expect(await store.current('dispatcher')).toMatchObject({ holder: 'b', token: second });
  });

  /**
   * Resolves once `on` is held up writing a lease: on PostgreSQL a session waits for a lock; on
   * SQLite `on` has started a statement on the leases table (it then waits out the busy database).
   */
  function blockedWrite(on: DataSource): Promise<unknown> {
    if (kind === 'postgres') {
      return waitFor(async () => Number((await dataSource.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))[0].n) > 0,
        { what: 'the takeover waiting for a lock', everyMs: 20 });
    }
    const connection = (on.driver as unknown as { databaseConnection: { on(event: 'trace', listener: (sql: string) => void): void } }).databaseConnection;
    return new Promise<void>((resolve) => connection.on('trace', (sql) => { if (/\bleases\b/.test(sql)) resolve(); }));
  }

  describe('fenced writes', () => {
    const renameAgent = (on: DataSource, name: string, fence: Fence, transaction?: QueryRunner) => {
      const p = (i: number) => on.driver.createParameter(`p${i}`, i);
      return fencedUpdate(on, `UPDATE agents SET display_name = ${p(0)} WHERE telegram_id = ${p(1)}`, [name, '7'], fence, transaction);
    };

    beforeEach(async () => {
      await createStores(dataSource).agents.authorize({ telegramId: '7', phone: '+12025550101', by: '1' });
    });

    it('given a holder paused past its ttl while another took over, when it resumes, then it can neither renew nor make a fenced write, and its successor can', async () => {
      const paused: Fence = { name: 'dispatcher', holder: 'a', token: await store.acquire('dispatcher', 'a', SHORT_TTL_MS) as bigint };
      expect(await renameAgent(dataSource, 'written by a', paused)).toBe(1);

      await lapsed('dispatcher');
      const other = await anotherInstance();
      const successor: Fence = { name: 'dispatcher', holder: 'b', token: await other.acquire('dispatcher', 'b', LONG_TTL_MS) as bigint };

      expect(await store.renew(paused.name, paused.holder, paused.token, LONG_TTL_MS)).toBe(false);
      expect(await renameAgent(dataSource, 'stale write by a', paused)).toBe(0);
      expect(await renameAgent(instances[0], 'written by b', successor)).toBe(1);
      expect((await createStores(dataSource).agents.byTelegramId('7'))?.displayName).toBe('written by b');
    });

    it('given a lease held by the same holder again after a takeover, then a write carrying its old token is still refused', async () => {
      const old = await store.acquire('dispatcher', 'a', LONG_TTL_MS) as bigint;
      await store.release('dispatcher', 'a', old);
      const other = await anotherInstance();
      await other.release('dispatcher', 'b', await other.acquire('dispatcher', 'b', LONG_TTL_MS) as bigint);
      const again = await store.acquire('dispatcher', 'a', LONG_TTL_MS) as bigint;
      expect(await renameAgent(dataSource, 'stale', { name: 'dispatcher', holder: 'a', token: old })).toBe(0);
      expect(await renameAgent(dataSource, 'current', { name: 'dispatcher', holder: 'a', token: again })).toBe(1);
    });

    it('given a fenced write whose transaction is still open, when another holder takes the lapsed lease over, then the takeover waits for that transaction to end', async () => {
      const fence: Fence = { name: 'dispatcher', holder: 'a', token: await store.acquire('dispatcher', 'a', SHORT_TTL_MS) as bigint };
      const transaction = dataSource.createQueryRunner();
      await transaction.startTransaction();
      try {
        expect(await renameAgent(dataSource, 'written by a', fence, transaction)).toBe(1);
        await lapsed('dispatcher');
        const other = await anotherInstance();
        const blocked = blockedWrite(instances.at(-1)!);
        let tookOver = false;
        const takeover = other.acquire('dispatcher', 'b', LONG_TTL_MS).then((token) => { tookOver = true; return token; });
        await blocked;
        expect(tookOver).toBe(false);
        await transaction.commitTransaction();
        expect(await takeover).toBeGreaterThan(fence.token);
      } finally {
        await transaction.release();
      }
      expect((await createStores(dataSource).agents.byTelegramId('7'))?.displayName).toBe('written by a');
    });

    it('given a lease nobody holds, then a fenced write is refused', async () => {
      expect(await renameAgent(dataSource, 'nobody', { name: 'dispatcher', holder: 'a', token: 1n })).toBe(0);
    });
  });
});
