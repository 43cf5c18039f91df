import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { dncLineReader } from '../../compliance/dnc-line';
import { importDncLines } from '../../compliance/dnc-import';
import { openDatabase } from '../../store/data-source';
import { DoNotCallRule } from '../../compliance/rules/do-not-call-rule';
import { createStores, type Stores } from '../../store';
import { dncKey } from '../../store/dnc-store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();

function linesOf(text: string): AsyncIterable<string> {
  return Readable.from(text.split('\n'));
}

describe(`do-not-call list on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;

  beforeAll(() => process.stdout.write(`do-not-call spec running on ${kind}\n`));

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
  });

  afterEach(() => closeDatabase(dataSource));

  describe('store', () => {
    it('given a number added by an admin, then a lookup finds it with when, who and why, and a second add keeps the first listing', async () => {
      const before = Date.now();
      const first = await stores.dnc.add('+12025550123', { kind: 'admin', addedBy: '1000', reason: 'complaint' });
      expect(first.added).toBe(true);
      expect(first.entry).toMatchObject({ number: '+12025550123', addedBy: '1000', kind: 'admin', reason: 'complaint', callId: null });
      expect(first.entry.since.getTime()).toBeGreaterThanOrEqual(before - 1000);
      const again = await stores.dnc.add('+12025550123', { kind: 'admin', addedBy: '2000', reason: 'other' });
      expect(again).toEqual({ added: false, entry: first.entry });
      expect(await stores.dnc.lookup('+12025550123')).toEqual(first.entry);
    });

    it.each([
      ['the largest E.164 number', '+999999999999999'],
      ['a short one', '+2901234'],
      ['a NANP number', '+12025550123'],
    ])('given %s, then it is stored and found exactly', async (_what, number) => {
      await stores.dnc.add(number, { kind: 'admin', addedBy: '1' });
      expect((await stores.dnc.lookup(number))?.number).toBe(number);
      expect(await stores.dnc.lookup(`${number.slice(0, -1)}${(Number(number.at(-1)) + 1) % 10}`)).toBeNull();
    });

    it('given a listed number, when removed, then it is gone and removing it again says so', async () => {
      await stores.dnc.add('+12025550123', { kind: 'agent', addedBy: '2001', reason: 'asked not to be called', callId: 'call-1' });
      expect(await stores.dnc.remove('+12025550123')).toMatchObject({ kind: 'agent', callId: 'call-1' });
      expect(await stores.dnc.lookup('+12025550123')).toBeNull();
      expect(await stores.dnc.remove('+12025550123')).toBeNull();
    });

    it('given batches with duplicates inside and across them, then only new numbers count as added', async () => {
      const listing = await stores.dnc.createListing({ kind: 'import', addedBy: '1' });
      expect(await stores.dnc.addMany([12025550001, 12025550002, 12025550001], listing)).toBe(2);
      expect(await stores.dnc.addBatches([[12025550002, 12025550003], [12025550004]], listing)).toBe(2);
      expect(await stores.dnc.count()).toBe(4);
    });

    it('given more numbers than a page, then the export pages through all of them in order', async () => {
      const listing = await stores.dnc.createListing({ kind: 'import', addedBy: '1', reason: 'file' });
      const keys = Array.from({ length: 25 }, (_, i) => 12025550100 + (i * 7) % 25);
      await stores.dnc.addMany(keys, listing);
      const pages: string[][] = [];
      for await (const page of stores.dnc.entries(10)) pages.push(page.map((e) => e.number));
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `+${12025550100 + i}`));
    });

    it.each(['12025550123', '+1 202', '', 'x'])('given %j, then it is not a key', (input) => {
      expect(() => dncKey(input)).toThrow(/not an E.164 number/);
    });
  });

  describe('import', () => {
    it('given a file mixing the registry format, national, international and CSV forms, then it reports added, already present and the invalid lines', async () => {
      await stores.dnc.add('+12025550104', { kind: 'admin', addedBy: '1' });
      const file = [
        'number,reason', // 1 header
        '202,5550101', // 2 registry
        '2025550102', // 3 registry without comma
        '+1 (202) 555-0103', // 4
        '"+12025550104","already"', // 5 already present
        '', // 6 blank
        'not a number', // 7 invalid
        '202,5550101', // 8 duplicate in the file
        '# a comment', // 9
        '+44 20 7946 0958', // 10 another country
        '+1 202 555 0199 ext 7', // 11 invalid (extension)
      ].join('\r\n');
      const listing = await stores.dnc.createListing({ kind: 'import', addedBy: '1000', reason: 'import list.csv' });
      const progress: number[] = [];
      const summary = await importDncLines(linesOf(file.replace(/\r/g, '')), stores.dnc, listing, {
        reader: dncLineReader('US'), batchSize: 2, onProgress: (c) => progress.push(c.added + c.alreadyPresent),
      });
      expect(summary).toEqual({ lines: 11, added: 4, alreadyPresent: 2, invalid: 2, invalidLines: [7, 11] });
      expect(progress).toEqual([2, 4, 6]);
      for (const n of ['+12025550101', '+12025550102', '+12025550103', '+442079460958']) {
        expect(await stores.dnc.lookup(n)).toMatchObject({ kind: 'import', addedBy: '1000', reason: 'import list.csv' });
      }
      expect((await stores.dnc.lookup('+12025550104'))?.kind).toBe('admin');
    });

    it('given many invalid lines, then only the first ones are listed but all are counted', async () => {
      const listing = await stores.dnc.createListing({ kind: 'import', addedBy: '1' });
      const file = Array.from({ length: 30 }, (_, i) => (i % 2 ? 'junk' : `202555${String(1000 + i)}`)).join('\n');
      const summary = await importDncLines(linesOf(file), stores.dnc, listing, { reader: dncLineReader('US'), maxListedInvalid: 5 });
      expect(summary).toMatchObject({ added: 15, invalid: 15, invalidLines: [2, 4, 6, 8, 10] });
    });
  });

  describe('the do-not-call rule', () => {
    const attempt = (target: string) => ({ agentId: 1, agentTelegramId: '2001', target, route: 'M' as const, at: Date.now() });

    it.each([
      ['a listed number', '+12025550123', true],
      ['a number next to a listed one', '+12025550124', false],
      ['the listed digits in another country', '+442025550123', false],
    ])('given a call to %s (%s), then it is refused: %s', async (_what, target, refused) => {
      const { entry } = await stores.dnc.add('+12025550123', { kind: 'admin', addedBy: '1' });
      const refusal = await new DoNotCallRule(stores.dnc).check(attempt(target));
      expect(refusal).toEqual(refused ? { rule: 'do_not_call', since: entry.since } : undefined);
    });
  });
});
