import type { DataSource } from 'typeorm';
import { Lease, type LeaseClock, type LeaseEvent } from '../../cluster/lease';
import { LeaseStore } from '../../cluster/lease-store';
import { createDataSource, openDatabase } from '../../store/data-source';
import { ManualClock } from '../support/manual-clock';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
/** The same ttl goes to the database, in real time, and to the Lease, on the manual clock. */
const TTL_MS = 60_000;
const THIRD_MS = TTL_MS / 3;

type LeaseStorePort = Pick<LeaseStore, 'acquire' | 'renew' | 'release'>;

describe(`a kept lease on ${kind}`, () => {
  let url: string;
  let dataSource: DataSource;
  let other: DataSource | undefined;
  let store: LeaseStore;
  let clock: ManualClock;
  let leases: Lease[];

  beforeAll(() => {
    // Printed on purpose: the test log must show which database really ran.
    process.stdout.write(`lease spec running on ${kind}\n`);
  });

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    ({ dataSource } = await openDatabase(url));
    store = new LeaseStore(dataSource);
    clock = new ManualClock();
    leases = [];
  });

  afterEach(async () => {
    for (const lease of leases) await lease.stop().catch(() => undefined);
    await closeDatabase(other);
    other = undefined;
    await closeDatabase(dataSource);
  });

  /** The store, counting the answers it has given, with any operation replaced. */
  function watched(base: LeaseStorePort, replaced: Partial<LeaseStorePort> = {}) {
    const answers = { acquire: 0, renew: 0 };
    const port: LeaseStorePort = {
      acquire: (...args) => base.acquire(...args).finally(() => { answers.acquire += 1; }),
      renew: replaced.renew ?? ((...args) => base.renew(...args).finally(() => { answers.renew += 1; })),
      release: (...args) => base.release(...args),
    };
    return { port, answers };
  }

  function keep(holder: string, port: LeaseStorePort, leaseClock: LeaseClock = clock) {
    const lease = new Lease(port, { name: 'dispatcher', holder, ttlMs: TTL_MS, clock: leaseClock });
    const events: LeaseEvent[] = [];
    lease.events.subscribe((event) => events.push(event));
    leases.push(lease);
    lease.start();
    return { lease, events };
  }

  async function anotherInstance(): Promise<LeaseStore> {
    other = createDataSource(url);
    await other.initialize();
    return new LeaseStore(other);
  }

  it('given a free lease, when kept, then it is held with the database\'s token and renewed every third of the ttl', async () => {
    const { port, answers } = watched(store);
    const { lease, events } = keep('a', port);
    await waitFor(() => events.length === 1, { what: 'held' });
    expect(events).toEqual([{ kind: 'held', token: 1n }]);
    expect(lease.token).toBe(1n);

    await clock.advance(THIRD_MS - 1);
    expect(answers.renew).toBe(0);
    await clock.advance(1);
    await waitFor(() => answers.renew === 1, { what: 'the first renewal' });
    await clock.advance(THIRD_MS);
    await waitFor(() => answers.renew === 2, { what: 'the second renewal' });
    await clock.advance(THIRD_MS);
    await waitFor(() => answers.renew === 3, { what: 'the third renewal' });

    expect(lease.isHeld()).toBe(true);
    expect(events).toHaveLength(1);
    expect(await store.current('dispatcher')).toMatchObject({ holder: 'a', token: 1n });
  });

  it('given renewals that never answer, then it stops holding the lease at its own deadline, while the database still counts it held', async () => {
    const { port } = watched(store, { renew: () => new Promise<boolean>(() => {}) });
    const { lease, events } = keep('a', port);
    await waitFor(() => events.length === 1, { what: 'held' });

    await clock.advance(THIRD_MS);
    await clock.advance(THIRD_MS - 1);
    expect(lease.isHeld()).toBe(true);
    await clock.advance(1);

    expect(events).toEqual([{ kind: 'held', token: 1n }, { kind: 'lost', token: 1n, reason: 'renewal late' }]);
    expect(lease.isHeld()).toBe(false);
    expect(lease.token).toBeUndefined();
    const inDatabase = await store.current('dispatcher');
    expect(inDatabase).toMatchObject({ holder: 'a', token: 1n });
    expect(inDatabase?.expiresInMs).toBeGreaterThan(0);
  });

  it('given a renewal the database refuses because another instance took over, then the lease is lost at once', async () => {
    const { lease, events } = keep('a', store);
    await waitFor(() => events.length === 1, { what: 'held' });
    await store.release('dispatcher', 'a', 1n);
    const successor = await (await anotherInstance()).acquire('dispatcher', 'b', TTL_MS);

    await clock.advance(THIRD_MS);
    await waitFor(() => events.length === 2, { what: 'lost' });

    expect(events[1]).toEqual({ kind: 'lost', token: 1n, reason: 'renewal refused' });
    expect(lease.isHeld()).toBe(false);
    expect(await store.current('dispatcher')).toMatchObject({ holder: 'b', token: successor });
  });

  it('given a renewal that fails, then the lease is lost at once, before its deadline', async () => {
    const { port } = watched(store, { renew: () => Promise.reject(new Error('connection reset')) });
    const { lease, events } = keep('a', port);
    await waitFor(() => events.length === 1, { what: 'held' });

    await clock.advance(THIRD_MS);
    await waitFor(() => events.length === 2, { what: 'lost' });

    expect(events[1]).toEqual({ kind: 'lost', token: 1n, reason: 'renewal failed' });
    expect(lease.isHeld()).toBe(false);
  });

  it('given a process paused past its deadline, when it resumes, then it no longer holds the lease even before any of its timers has run', async () => {
    let pausedFor = 0;
    const pausable: LeaseClock = { now: () => clock.now() + pausedFor, setTimer: (fn, ms) => clock.setTimer(fn, ms) };
    const { lease, events } = keep('a', store, pausable);
    await waitFor(() => events.length === 1, { what: 'held' });

    pausedFor = TTL_MS;

    expect(lease.isHeld()).toBe(false);
    expect(lease.token).toBeUndefined();
    expect(events[1]).toEqual({ kind: 'lost', token: 1n, reason: 'renewal late' });
  });

  it('given two instances keeping the same lease, then only one holds it; when it stops, the other takes over at its next attempt with a higher token', async () => {
    const first = keep('a', store);
    await waitFor(() => first.events.length === 1, { what: 'a held' });
    const { port, answers } = watched(await anotherInstance());
    const second = keep('b', port);
    await waitFor(() => answers.acquire === 1, { what: 'b\'s first attempt' });
    expect(second.lease.isHeld()).toBe(false);

    await first.lease.stop();
    expect(first.events[1]).toEqual({ kind: 'lost', token: 1n, reason: 'stopped' });
    expect(await store.current('dispatcher')).toBeNull();

    await clock.advance(THIRD_MS);
    await waitFor(() => second.events.length === 1, { what: 'b held' });
    expect(second.events[0]).toEqual({ kind: 'held', token: 2n });
    expect(second.lease.token).toBe(2n);
  });

  it('given an instance that does not want the lease (it holds its share), then it leaves a free lease alone until it does', async () => {
    let wants = false;
    const lease = new Lease(store, { name: 'dispatcher', holder: 'a', ttlMs: TTL_MS, clock, wants: () => Promise.resolve(wants) });
    leases.push(lease);
    const events: LeaseEvent[] = [];
    lease.events.subscribe((event) => events.push(event));
    lease.start();
    await clock.advance(THIRD_MS * 2);
    expect(events).toEqual([]);
    expect(await store.current('dispatcher')).toBeNull();

    wants = true;
    await clock.advance(THIRD_MS);
    await waitFor(() => events.length === 1, { what: 'held once wanted' });
    expect(events[0]).toEqual({ kind: 'held', token: 1n });
  });

  it('given a held lease handed back, then it is free at once for another instance, and its former holder tries for it again later', async () => {
    const first = keep('a', store);
    await waitFor(() => first.events.length === 1, { what: 'a held' });
    await first.lease.handBack();
    expect(first.events[1]).toEqual({ kind: 'lost', token: 1n, reason: 'handed back' });
    expect(first.lease.isHeld()).toBe(false);
    expect(await new LeaseStore(dataSource).acquire('dispatcher', 'b', TTL_MS)).toBe(2n);

    await new LeaseStore(dataSource).release('dispatcher', 'b', 2n);
    await clock.advance(THIRD_MS);
    await waitFor(() => first.events.length === 3, { what: 'a held again' });
    expect(first.events[2]).toEqual({ kind: 'held', token: 3n });
  });
});
