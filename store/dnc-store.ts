import type { DataSource, QueryRunner } from 'typeorm';
import { DncListing, type DncListingKind, DncNumber } from '../entities';

/** A number on the do-not-call list, with the listing that put it there. */
export interface DncEntry {
  /** E.164, e.g. +12025550123. */
  number: string;
  since: Date;
  addedBy: string;
  kind: DncListingKind;
  reason: string;
  callId: string | null;
}

export interface NewListing {
  kind: DncListingKind;
  addedBy: string;
  reason?: string;
  callId?: string | null;
}

/** The E.164 number as the table's key: its digits, at most 15, exact in a JS number. */
export function dncKey(e164: string): number {
  if (!/^\+[1-9]\d{1,14}$/.test(e164)) throw new Error(`not an E.164 number: ${e164}`);
  return Number(e164.slice(1));
}

export function dncNumber(key: number): string {
  return `+${key}`;
}

/**
 * The do-not-call list. A check is one primary-key lookup joined to its listing; a bulk add is one
 * statement for a whole batch, its numbers passed as a single parameter (a JSON array on SQLite, an
 * array on PostgreSQL), so a batch of any size costs one parse and one trip to the database.
 * Numbers already listed keep their first listing.
 */
export class DncStore {
  private readonly sqlite: boolean;
  private readonly insertBatch: string;
  private readonly lookupSql: string;

  constructor(private readonly dataSource: DataSource) {
    this.sqlite = dataSource.options.type === 'sqlite';
    const p = (i: number) => dataSource.driver.createParameter(`p${i}`, i);
    // SQLite needs a WHERE on an INSERT … SELECT … ON CONFLICT, or it reads ON as a join's.
    this.insertBatch = this.sqlite
      ? `INSERT INTO dnc_numbers (number, listing_id) SELECT value, ${p(0)} FROM json_each(${p(1)}) WHERE true ON CONFLICT DO NOTHING`
      : `INSERT INTO dnc_numbers (number, listing_id) SELECT unnest(${p(1)}::bigint[]), ${p(0)} ON CONFLICT DO NOTHING`;
    this.lookupSql = `SELECT n.number, l.created_at, l.added_by, l.kind, l.reason, l.call_id FROM dnc_numbers n
      JOIN dnc_listings l ON l.id = n.listing_id WHERE n.number = ${p(0)}`;
  }

  /** Records who lists numbers, when and why; the numbers then name its id. */
  async createListing(listing: NewListing): Promise<number> {
    const saved = await this.dataSource.getRepository(DncListing).save({
      kind: listing.kind,
      addedBy: listing.addedBy.slice(0, 20),
      reason: (listing.reason ?? '').slice(0, 256),
      callId: listing.callId ?? null,
    });
    return saved.id;
  }

  /** Lists one number; an already listed one is returned as it was, `added` false. */
  async add(e164: string, listing: NewListing): Promise<{ added: boolean; entry: DncEntry }> {
    const existing = await this.lookup(e164);
    if (existing) return { added: false, entry: existing };
    const listingId = await this.createListing(listing);
    const added = await this.addMany([dncKey(e164)], listingId);
    const entry = await this.lookup(e164);
    if (!entry) throw new Error(`do-not-call entry for ${e164} vanished after it was added`);
    return { added: added === 1, entry };
  }

  /** Adds keys (dncKey) under one listing in one statement; returns how many were new. */
  async addMany(keys: readonly number[], listingId: number): Promise<number> {
    if (keys.length === 0) return 0;
    const runner = this.dataSource.createQueryRunner();
    try {
      return await this.insert(runner, keys, listingId);
    } finally {
      await runner.release();
    }
  }

  /** Several batches in one transaction: one commit for all of them. */
  async addBatches(batches: ReadonlyArray<readonly number[]>, listingId: number): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      let added = 0;
      for (const keys of batches) {
        if (keys.length > 0) added += await this.insert(manager.queryRunner!, keys, listingId);
      }
      return added;
    });
  }

  private async insert(runner: QueryRunner, keys: readonly number[], listingId: number): Promise<number> {
    const numbers = this.sqlite ? JSON.stringify(keys) : keys;
    const result = await runner.query(this.insertBatch, [listingId, numbers], true) as { affected?: number };
    return result.affected ?? 0;
  }

  async lookup(e164: string): Promise<DncEntry | null> {
    const rows = await this.dataSource.query(this.lookupSql, [dncKey(e164)]) as RawEntry[];
    return rows[0] ? this.entryOf(rows[0]) : null;
  }

  /** Takes a number off the list; returns the entry it had, or null when it was not listed. */
  async remove(e164: string): Promise<DncEntry | null> {
    const entry = await this.lookup(e164);
    if (!entry) return null;
    await this.dataSource.getRepository(DncNumber).delete({ number: dncKey(e164) });
    return entry;
  }

  async count(): Promise<number> {
    return this.dataSource.getRepository(DncNumber).count();
  }

  /** Every entry in number order, a page at a time (keyset paging: each page is one index range). */
  async *entries(pageSize = 10_000): AsyncGenerator<DncEntry[]> {
    const p = (i: number) => this.dataSource.driver.createParameter(`p${i}`, i);
    const sql = `SELECT n.number, l.created_at, l.added_by, l.kind, l.reason, l.call_id FROM dnc_numbers n
      JOIN dnc_listings l ON l.id = n.listing_id WHERE n.number > ${p(0)} ORDER BY n.number LIMIT ${Number(pageSize)}`;
    let after = 0;
    for (;;) {
      const rows = await this.dataSource.query(sql, [after]) as RawEntry[];
      if (rows.length === 0) return;
      yield rows.map((r) => this.entryOf(r));
      after = Number(rows[rows.length - 1]!.number);
      if (rows.length < pageSize) return;
    }
  }

  private entryOf(row: RawEntry): DncEntry {
    const createdAt = this.dataSource.getMetadata(DncListing).findColumnWithPropertyName('createdAt');
    const since = createdAt ? this.dataSource.driver.prepareHydratedValue(row.created_at, createdAt) as Date : new Date(String(row.created_at));
    return {
      number: dncNumber(Number(row.number)), since, addedBy: row.added_by, kind: row.kind as DncListingKind, reason: row.reason, callId: row.call_id,
    };
  }
}

interface RawEntry {
  number: number | string;
  created_at: unknown;
  added_by: string;
  kind: string;
  reason: string;
  call_id: string | null;
}
