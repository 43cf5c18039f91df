/**
 * @fastify/rate-limit's store on a counter shared by every instance (cluster mode): the plugin asks
 * the store to count each request and gets the count and the time left in the window.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';

/** Counts a key's requests in windows of `windowMs`, the same count wherever the request arrived. */
export interface RateCounter {
  hit(counter: string, windowMs: number): Promise<{ hits: number; ttlMs: number }>;
}

export function sharedRateStore(counter: RateCounter): FastifyRateLimitStoreCtor {
  return class SharedRateStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counter.hit(key, timeWindow).then(
        ({ hits, ttlMs }) => callback(null, { current: hits, ttl: ttlMs }),
        (err: unknown) => callback(new Error(`the API's request count could not be read for ${key}; the request is refused, try it again`, { cause: err })),
      );
    }

    /** Every route counts against the key's one limit. */
    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
