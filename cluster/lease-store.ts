import type { DataSource } from 'typeorm';
import { databaseNowMs } from './database-clock';
import { returningRows } from './statement-result';

/** Who holds a lease now, with the token their writes are fenced by, and how long it has left by the database's clock. */
export interface LeaseHolding {
  holder: string;
  token: bigint;
  expiresInMs: number;
}

/**
 * The leases table's operations, each one SQL statement, so that instances racing on the same lease
 * are ordered by the database's row lock and never both win. A lease is free once its expiry has
 * passed by the database's clock; each change of holder raises its token, so a write carrying an
 * older token can be refused (fenced-update.ts). The same statements run on SQLite, where there is
 * only ever one instance, so the app's code does not depend on the database.
 */
export class LeaseStore {
  private readonly now: string;

  constructor(private readonly dataSource: DataSource) {
    this.now = databaseNowMs(dataSource);
  }

  /**
   * Takes the lease when it is free or already ours, for `ttlMs` from now; the token to fence writes
   * with, or null when someone else holds it. Taking it over, or taking it back after it lapsed,
   * raises the token; a holder that re-acquires its own live lease keeps its token.
   */
  async acquire(name: string, holder: string, ttlMs: number): Promise<bigint | null> {
    const p = this.parameter;
    const rows = await returningRows(this.dataSource,
      `INSERT INTO leases (name, holder, token, expires_at) VALUES (${p(0)}, ${p(1)}, 1, ${this.now} + ${p(2)})
       ON CONFLICT (name) DO UPDATE SET
         token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ${this.now} THEN leases.token ELSE leases.token + 1 END,
         holder = excluded.holder,
         expires_at = excluded.expires_at
       WHERE leases.expires_at <= ${this.now} OR leases.holder = excluded.holder
       RETURNING token`,
      [name, holder, ttlMs]);
    return rows.length === 1 ? BigInt(String(rows[0].token)) : null;
  }

  /** Extends a live lease to `ttlMs` from now; false when it lapsed or another holder or token has it. */
  async renew(name: string, holder: string, token: bigint, ttlMs: number): Promise<boolean> {
    const p = this.parameter;
    const rows = await returningRows(this.dataSource,
      `UPDATE leases SET expires_at = ${this.now} + ${p(0)}
       WHERE name = ${p(1)} AND holder = ${p(2)} AND token = CAST(${p(3)} AS bigint) AND expires_at > ${this.now}
       RETURNING token`,
      [ttlMs, name, holder, String(token)]);
    return rows.length === 1;
  }

  /**
   * Frees the lease at once, if this holding still has it: its expiry goes back to the epoch. The row
   * stays, so the next holder's token is still higher than every token handed out before.
   */
  async release(name: string, holder: string, token: bigint): Promise<boolean> {
    const p = this.parameter;
    const rows = await returningRows(this.dataSource,
      `UPDATE leases SET expires_at = 0
       WHERE name = ${p(0)} AND holder = ${p(1)} AND token = CAST(${p(2)} AS bigint) AND expires_at > ${this.now}
       RETURNING token`,
      [name, holder, String(token)]);
    return rows.length === 1;
  }

  /** How many leases whose name starts with `prefix` are held now (the instances alive, by their own leases). */
  async countHeld(prefix: string): Promise<number> {
    const rows = await this.dataSource.query(
      `SELECT COUNT(*) AS held FROM leases WHERE SUBSTR(name, 1, ${prefix.length}) = ${this.parameter(0)} AND expires_at > ${this.now}`,
      [prefix]) as { held: string | number }[];
    return Number(rows[0]?.held ?? 0);
  }

  /** The names of the leases whose name starts with `prefix` that are held now. */
  async heldNames(prefix: string): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT name FROM leases WHERE SUBSTR(name, 1, ${prefix.length}) = ${this.parameter(0)} AND expires_at > ${this.now} ORDER BY name`,
      [prefix]) as { name: string }[];
    return rows.map((r) => r.name);
  }

  /** Who holds the lease; null when nobody does (never taken, released or lapsed). */
  async current(name: string): Promise<LeaseHolding | null> {
    const rows = await this.dataSource.query(
      `SELECT holder, token, expires_at - ${this.now} AS expires_in FROM leases WHERE name = ${this.parameter(0)} AND expires_at > ${this.now}`,
      [name]) as { holder: string; token: string | number; expires_in: string | number }[];
    const row = rows[0];
    return row ? { holder: row.holder, token: BigInt(String(row.token)), expiresInMs: Number(row.expires_in) } : null;
  }

  private readonly parameter = (index: number): string => this.dataSource.driver.createParameter(`p${index}`, index);
}
