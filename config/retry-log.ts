import { types } from 'node:util';
import type { Logger } from './logger';

/** An Error from any realm: errors made by Node's own modules are not `instanceof` a sandbox's Error (jest). */
export function isError(value: unknown): value is Error & { code?: unknown; errors?: unknown } {
  return value instanceof Error || types.isNativeError(value);
}

/** The message of an error and of every cause under it, as one line: "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
export function causeText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth += 1) {
    if (!isError(current)) {
      parts.push(String(current));
      break;
    }
    // Node's fetch to a host with several addresses fails with an AggregateError whose message is empty.
    const inner = Array.isArray(current.errors) ? current.errors.map((e: unknown) => causeText(e)).join('; ') : '';
    const own = current.message || inner || current.name;
    if (!parts.some((p) => p.includes(own))) parts.push(own);
    current = current.cause;
  }
  return parts.join(': ');
}

/** The wait before retry number `attempt` (from 0): doubling from `minMs`, never more than `maxMs`. */
export function cappedBackoffMs(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 16));
}

/** Waits `ms`, or less if `signal` aborts first. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryLogOptions {
  /** The warning while it fails, e.g. "ARI unavailable; retrying". */
  failing: string;
  /** The line once it works again, e.g. "ARI reachable again" (" after 8 failed attempts" is added). */
  recovered: string;
}

/**
 * Expected, repeated failures (a server that is down, a network that is out) as a few short lines:
 * the 1st failure, then the 2nd, 4th, 8th… with the count, and one line when it works again.
 * Each line carries the cause's message, never a stack: these are not bugs.
 */
export class RetryLog {
  private failures = 0;
  private nextReport = 1;
  private since = 0;

  constructor(private readonly logger: Logger, private readonly options: RetryLogOptions) {}

  /** Counts one failed attempt; logs it when its number is the next one reported. */
  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    if (this.failures === 0) this.since = Date.now();
    this.failures += 1;
    if (this.failures < this.nextReport) return;
    this.nextReport *= 2;
    const summary = this.failures > 1 ? { failingForS: Math.round((Date.now() - this.since) / 1000) } : {};
    this.logger.warn(this.options.failing, { ...fields, attempt: this.failures, ...summary, cause: causeText(error) });
  }

  /** Logs the recovery if anything had failed, and starts counting afresh. */
  succeeded(fields: Record<string, unknown> = {}): void {
    if (this.failures > 0) {
      const attempts = this.failures === 1 ? '1 failed attempt' : `${this.failures} failed attempts`;
      this.logger.info(`${this.options.recovered} after ${attempts}`, { ...fields, failingForS: Math.round((Date.now() - this.since) / 1000) });
    }
    this.failures = 0;
    this.nextReport = 1;
  }

  get failedAttempts(): number {
    return this.failures;
  }
}
