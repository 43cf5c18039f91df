import { DataSource, Repository } from 'typeorm';
import type { RouteCode } from '../call/call-types';
import { CallerId } from '../entities';
import { violatesUniqueIndex } from './unique-violation';

const NUMBER_ROUTE_INDEX = { name: 'uq_caller_ids_number_route', table: 'caller_ids', columns: ['number', 'route'] } as const;

/**
 * The caller-ID pool: which numbers of the organisation each route has, and which are verified.
 * A row is written by one INSERT or one UPDATE of the columns that change, never saved back whole:
 * a saved-back row that was removed in between would be inserted again.
 */
export class CallerIdStore {
  private readonly numbers: Repository<CallerId>;

  constructor(dataSource: DataSource) {
    this.numbers = dataSource.getRepository(CallerId);
  }

  /** Every number of the pool, by route then number. */
  list(): Promise<CallerId[]> {
    return this.numbers.find({ order: { route: 'ASC', number: 'ASC' } });
  }

  find(number: string, route: RouteCode): Promise<CallerId | null> {
    return this.numbers.findOneBy({ number, route });
  }

  /** The routes a number is in the pool for. */
  async routesOf(number: string): Promise<CallerId[]> {
    return this.numbers.find({ where: { number }, order: { route: 'ASC' } });
  }

  /** Adds a number, unverified; the existing row when it is in the pool already. */
  async add(number: string, route: RouteCode, by: string): Promise<{ entry: CallerId; isNew: boolean }> {
    const existing = await this.find(number, route);
    if (existing) return { entry: existing, isNew: false };
    try {
      await this.numbers.insert({ number, route, status: 'unverified', addedBy: by, verifiedBy: null, verifiedAt: null });
    } catch (err) {
      if (!violatesUniqueIndex(err, NUMBER_ROUTE_INDEX)) throw err;
      // Another admin added it at the same instant.
      const added = await this.find(number, route);
      if (added) return { entry: added, isNew: false };
      throw new Error(`caller ID ${number} on route ${route} was added and removed at the same instant; add it again`, { cause: err });
    }
    const entry = await this.find(number, route);
    if (!entry) throw new Error(`caller ID ${number} on route ${route} was removed as it was added; add it again`);
    return { entry, isNew: true };
  }

  /** Removes a number from one route's pool, or from every route it is in; the rows removed. */
  async remove(number: string, route?: RouteCode): Promise<CallerId[]> {
    const rows = route ? [await this.find(number, route)].filter((r): r is CallerId => r !== null) : await this.routesOf(number);
    if (rows.length > 0) await this.numbers.delete(rows.map((r) => r.id));
    return rows;
  }

  /** Marks a number verified; null when it left the pool in the meantime. */
  async markVerified(number: string, route: RouteCode, by: string, at: Date): Promise<CallerId | null> {
    const result = await this.numbers.update({ number, route }, { status: 'verified', verifiedBy: by, verifiedAt: at });
    return (result.affected ?? 0) > 0 ? this.find(number, route) : null;
  }

  async isVerified(number: string, route: RouteCode): Promise<boolean> {
    return (await this.numbers.countBy({ number, route, status: 'verified' })) > 0;
  }
}
