import type { RouteCode } from './call-types';

/** A limit that holds across every instance, as the database counted it when the request was recorded. */
export type ReachedLimit =
  | { limit: 'concurrent_calls'; max: number; live: number }
  | { limit: 'route_calls'; route: RouteCode; max: number; live: number }
  | { limit: 'number_calls'; period: 'day' | '7_days'; max: number; placed: number };

/**
 * Several instances (cluster mode): the request's row was not written, because with it a global
 * limit would be exceeded. The database counted under a lock every instance's recording takes, so
 * two requests at the same instant on two instances cannot both pass.
 */
export class LimitReached extends Error {
  constructor(readonly reached: ReachedLimit) {
    super(`limit reached: ${reached.limit}`);
    this.name = 'LimitReached';
  }
}
