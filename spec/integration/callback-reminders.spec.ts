import type { DataSource } from 'typeorm';
import { CallbackReminders } from '../../after-call/callback-reminders';
import type { ScheduledCallback } from '../../entities';
import { silentLogger } from '../../config/logger';
import { openDatabase } from '../../store/data-source';
import { type Stores, createStores } from '../../store';
import { ManualClock } from '../support/manual-clock';
import { closeDatabase, freshDatabaseUrl } from '../support/test-database';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 4, 15, 0);
const MISSED_AFTER_MS = 30 * MINUTE;

/** One process's reminders on its own connection to the shared database, recording what it said. */
interface Process {
  dataSource: DataSource;
  stores: Stores;
  reminders: CallbackReminders;
  reminded: number[];
  missed: number[];
}

/**
 * The reminders' clock on the real database (SQLite here, PostgreSQL under scripts/with-postgres.sh):
 * several processes, restarts, each reminder and each missed notice once.
 */
describe('callback reminders on one database', () => {
  let url: string;
  let clock: ManualClock;
  const processes: Process[] = [];

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    clock = new ManualClock();
    clock.skip(T0);
  });

  afterEach(async () => {
    for (const p of processes.splice(0)) {
      await p.reminders.stop();
      await closeDatabase(p.dataSource);
    }
  });

  async function startProcess(): Promise<Process> {
    const { dataSource } = await openDatabase(url);
    const stores = createStores(dataSource);
    const reminded: number[] = [];
    const missed: number[] = [];
    const reminders = new CallbackReminders({
      records: stores.callbacks, clock, missedAfterMs: MISSED_AFTER_MS, logger: silentLogger(),
      notices: { remind: async (c: ScheduledCallback) => { reminded.push(c.id); }, missed: async (c: ScheduledCallback) => { missed.push(c.id); } },
    });
    const p = { dataSource, stores, reminders, reminded, missed };
    processes.push(p);
    reminders.start();
    await reminders.settled();
    return p;
  }

  async function stopProcess(p: Process): Promise<void> {
    processes.splice(processes.indexOf(p), 1);
    await p.reminders.stop();
    await closeDatabase(p.dataSource);
  }

  /** Moves the clock and waits until every process has read the table at the new time. */
  async function advance(ms: number): Promise<void> {
    for (const p of processes) await p.reminders.settled();
    await clock.advance(ms);
    for (const p of processes) await p.reminders.settled();
  }

  async function schedule(stores: Stores, count: number, dueInMs: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const c = await stores.callbacks.add({
        callId: null, agentId: 1, number: `+1212555${String(1000 + i)}`, route: 'M', dueAt: new Date(clock.now() + dueInMs), createdAt: new Date(clock.now()),
      });
      ids.push(c.id);
    }
    return ids;
  }

  it('given a callback due in an hour, when the clock reaches its time, then it is reminded then, not a minute before, and moves to reminded', async () => {
    const p = await startProcess();
    const [id] = await schedule(p.stores, 1, 60 * MINUTE);
    p.reminders.wake();
    await advance(59 * MINUTE);
    expect(p.reminded).toEqual([]);
    await advance(MINUTE);
    expect(p.reminded).toEqual([id]);
    expect(await p.stores.callbacks.byId(id!)).toMatchObject({ state: 'reminded', remindedAt: new Date(T0 + 60 * MINUTE) });
  });

  it('given two processes on one database, when 60 callbacks fall due at once, then each is reminded exactly once, by one of them', async () => {
    const a = await startProcess();
    const b = await startProcess();
    const ids = await schedule(a.stores, 60, 10 * MINUTE);
    await advance(10 * MINUTE);
    const all = [...a.reminded, ...b.reminded].sort((x, y) => x - y);
    expect(all).toEqual(ids);
    expect(await a.stores.callbacks.duePending(new Date(clock.now()), 100)).toEqual([]);
  });

  it('given two processes, when the reminded callbacks are missed, then the admins are told of each once', async () => {
    const a = await startProcess();
    const b = await startProcess();
    const ids = await schedule(a.stores, 5, MINUTE);
    await advance(MINUTE);
    await advance(MISSED_AFTER_MS - MINUTE);
    expect([...a.missed, ...b.missed]).toEqual([]);
    await advance(MINUTE);
    expect([...a.missed, ...b.missed].sort((x, y) => x - y)).toEqual(ids);
    await advance(60 * MINUTE);
    expect([...a.missed, ...b.missed]).toHaveLength(5);
  });

  it('given a process that stops before a callback is due, when a new one starts on the database, then it reminds it once, and the next restart does not again', async () => {
    const first = await startProcess();
    const [id] = await schedule(first.stores, 1, 30 * MINUTE);
    await stopProcess(first);
    await clock.advance(45 * MINUTE);
    const second = await startProcess();
    expect(second.reminded).toEqual([id]);
    await stopProcess(second);
    const third = await startProcess();
    await advance(10 * MINUTE);
    expect(third.reminded).toEqual([]);
  });

  it('given a cancelled or called-back callback, then it is never reminded', async () => {
    const p = await startProcess();
    const [cancelled, done] = await schedule(p.stores, 2, MINUTE);
    expect(await p.stores.callbacks.cancel(cancelled!, '2001', new Date(clock.now()))).toBe(true);
    expect(await p.stores.callbacks.markDone(done!, new Date(clock.now()))).toBe(true);
    expect(await p.stores.callbacks.cancel(cancelled!, '2001', new Date(clock.now()))).toBe(false);
    await advance(5 * MINUTE);
    expect(p.reminded).toEqual([]);
  });

  it('given an agent\'s open callbacks to a customer who reached them, when they are marked done for that agent and number, then only those close and are never reminded', async () => {
    const p = await startProcess();
    const [first, other] = await schedule(p.stores, 2, MINUTE);
    const number = (await p.stores.callbacks.byId(first!))!.number;
    const colleagues = await p.stores.callbacks.add({ callId: null, agentId: 2, number, route: 'M', dueAt: new Date(clock.now() + MINUTE), createdAt: new Date(clock.now()) });
    expect(await p.stores.callbacks.markDoneFor(1, number, new Date(clock.now()))).toBe(1);
    expect(await p.stores.callbacks.markDoneFor(1, number, new Date(clock.now()))).toBe(0);
    await advance(5 * MINUTE);
    expect(p.reminded.sort()).toEqual([other!, colleagues.id].sort());
  });
});

