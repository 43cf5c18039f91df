import fs from 'node:fs';
import type { DataSource } from 'typeorm';
import { DncService } from '../../compliance/dnc-service';
import type { Call } from '../../entities';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const ADMIN = '1000';
const AGENT = '2001';
const CALL_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';

async function* linesOf(...lines: string[]): AsyncIterable<string> {
  yield* lines;
}

describe(`the do-not-call service on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let service: DncService;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    // The one call the specs mark: an ended call of agent 7 to +12025550123.
    const ended = { id: CALL_ID, agentId: 7, target: '+12025550123', stage: 'ended' } as Call;
    const calls = { byId: async (id: string) => (id === CALL_ID ? ended : null) };
    service = new DncService({ dnc: stores.dnc, calls, audit: stores.audit, numbers: { defaultRegion: 'US' } });
  });

  afterEach(() => closeDatabase(dataSource));

  const audit = async () => (await stores.audit.latest(20)).map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, details: e.details })).reverse();

  it('given a number already listed, when an admin adds it again, then it is not added and only the first add is audited', async () => {
    expect((await service.add(ADMIN, '+12025550123', 'asked')).added).toBe(true);
    expect(await service.add(ADMIN, '+12025550123', 'again')).toMatchObject({ added: false, entry: { number: '+12025550123', reason: 'asked' } });
    expect(await audit()).toEqual([{ actor: ADMIN, action: 'dnc_add', subject: '+12025550123', details: 'asked' }]);
  });

  it('given a number not listed, when an admin removes it, then nothing is removed and nothing is audited', async () => {
    expect(await service.remove(ADMIN, '+12025550123')).toBeNull();
    expect(await audit()).toEqual([]);
  });

  it('given a listed number, when removed twice, then the first removal is audited with its listing and the second is not', async () => {
    await service.add(ADMIN, '+12025550123', 'asked');
    const removed = await service.remove(ADMIN, '+12025550123');
    expect(removed).not.toBeNull();
    expect(await service.remove(ADMIN, '+12025550123')).toBeNull();
    expect((await audit()).slice(1)).toEqual([{ actor: ADMIN, action: 'dnc_remove', subject: '+12025550123', details: `listed ${removed!.since.toISOString()} (admin by ${ADMIN}: asked)` }]);
    expect(await service.lookup('+12025550123')).toBeNull();
  });

  it('given an ended call, when its agent marks the customer twice, then the customer is listed and the mark is audited once', async () => {
    expect(await service.markRefusal(CALL_ID, 7)).toBeUndefined();
    expect(await service.markRefusal(CALL_ID, 8)).toBe('not_your_call');
    expect(await service.markRefusal('another-call', 7)).toBe('unknown_call');
    expect(await service.markFromCall(AGENT, CALL_ID, 'asked on the call')).toMatchObject({ number: '+12025550123', added: true });
    expect(await service.markFromCall(AGENT, CALL_ID, 'asked on the call')).toMatchObject({ added: false });
    expect(await audit()).toEqual([{ actor: AGENT, action: 'dnc_mark', subject: '+12025550123', details: `call ${CALL_ID}: asked on the call` }]);
  });

  it('given a file of numbers, when imported, then they are listed and the import is audited once with its counts', async () => {
    const result = await service.importFile(ADMIN, { name: 'list.csv', reason: 'import list.csv', open: async () => linesOf('+12025550123', 'not a number', '(202) 555-0124') });
    expect(result).toMatchObject({ ok: true, summary: { lines: 3, added: 2, invalid: 1 } });
    expect(await service.lookup('+12025550124')).not.toBeNull();
    expect((await audit()).map((e) => [e.action, e.subject])).toEqual([['dnc_import', 'list.csv']]);
  });

  it('given a file that cannot be read, when imported, then the failure is audited once and the import says so', async () => {
    const result = await service.importFile(ADMIN, { name: 'list.csv', reason: 'r', open: async () => { throw new Error('download failed'); } });
    expect(result).toMatchObject({ ok: false, counts: { lines: 0, added: 0 } });
    expect((await audit()).map((e) => [e.action, e.subject])).toEqual([['dnc_import_failed', 'list.csv']]);
  });

  it('given an empty list, when exported, then nothing is delivered or audited; with entries, the delivery is audited', async () => {
    const delivered: string[] = [];
    expect(await service.exportCsv(ADMIN, 'dnc.csv', async () => { delivered.push('sent'); return true; })).toBe('empty');
    expect(await audit()).toEqual([]);
    await service.add(ADMIN, '+12025550123', 'a, "quoted" reason');
    expect(await service.exportCsv(ADMIN, 'dnc.csv', async (file, written) => { delivered.push(`${written}`, fs.readFileSync(file, 'utf8').split('\n')[1]!.split(',').slice(2).join(',')); return false; })).toEqual({ written: 1, delivered: false });
    expect(delivered).toEqual(['1', `admin,${ADMIN},"a, ""quoted"" reason"`]);
    expect((await audit()).at(-1)).toEqual({ actor: ADMIN, action: 'dnc_export', subject: '1', details: 'not delivered' });
  });
});
