import type { DataSource, QueryRunner } from 'typeorm';
import { affectedRows } from './statement-result';

/** The holding a write is made under: the lease's name, its holder and the token acquire gave. */
export interface Fence {
  name: string;
  holder: string;
  token: bigint;
}

/**
 * Runs an UPDATE or DELETE only while the fence's holding is still the lease's, and returns the rows
 * it changed: none when another holder has taken the lease since, so a holder that was paused and
 * resumed cannot overwrite its successor's work. `sql` must end with its WHERE clause (any OR in
 * parentheses, since the fence is joined with AND) and use the driver's parameters; the fence's
 * condition and parameters are appended. On PostgreSQL the lease row is read FOR SHARE, so a takeover
 * either waits for the write's transaction (`runner`'s, when given) to commit or is seen by it;
 * SQLite's single writer gives the same order.
 */
export function fencedUpdate(dataSource: DataSource, sql: string, parameters: unknown[], fence: Fence, runner?: QueryRunner): Promise<number> {
  const p = (offset: number) => dataSource.driver.createParameter(`fence${offset}`, parameters.length + offset);
  const lock = dataSource.options.type === 'postgres' ? ' FOR SHARE' : '';
  const fenced = `${sql} AND (SELECT token FROM leases WHERE name = ${p(0)} AND holder = ${p(1)}${lock}) = CAST(${p(2)} AS bigint)`;
  return affectedRows(dataSource, fenced, [...parameters, fence.name, fence.holder, String(fence.token)], runner);
}
