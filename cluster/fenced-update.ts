import type { DataSource, QueryRunner } from 'typeorm';
import { affectedRows, returningRows } from './statement-result';

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

/**
 * Claims a server's waiting requests (supervision-requests.ts, party-requests.ts: rows with
 * `server_id`, `stage` and `owner_token`) for the fence's holder, each at most once, and returns
 * the `returning` columns of those it took: none once another holder has taken the lease.
 */
export function claimWaitingRequests(
  dataSource: DataSource, table: 'supervision_requests' | 'party_requests', serverId: string, fence: Fence, returning: string,
): Promise<Record<string, unknown>[]> {
  const p = (index: number) => dataSource.driver.createParameter(`p${index}`, index);
  const lock = dataSource.options.type === 'postgres' ? ' FOR SHARE' : '';
  return returningRows(dataSource,
    `UPDATE ${table} SET owner_token = CAST(${p(0)} AS bigint)
     WHERE server_id = ${p(1)} AND stage = 'requested' AND owner_token IS NULL
       AND (SELECT token FROM leases WHERE name = ${p(2)} AND holder = ${p(3)}${lock}) = CAST(${p(4)} AS bigint)
     RETURNING ${returning}`,
    [String(fence.token), serverId, fence.name, fence.holder, String(fence.token)]);
}
