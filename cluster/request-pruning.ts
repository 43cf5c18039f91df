import type { Logger } from '../config/logger';

/** How long an answered, withdrawn, ended or long-unclaimed request is kept (for an operator's look) before it is deleted. */
export const KEEP_REQUESTS_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/** A table of requests one instance writes for another (party_requests, supervision_requests). */
export interface PrunableRequests {
  prune(olderThanMs: number): Promise<number>;
}

/**
 * Deletes the cluster's finished transfer and supervision requests once they are old, hourly: their
 * rows are only a queue between instances, and nothing else ever deletes them. Every instance runs
 * it; a delete another instance did first deletes nothing.
 */
export class RequestPruning {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly deps: { tables: Record<string, PrunableRequests>; logger: Logger; keepMs?: number; everyMs?: number }) {}

  start(): void {
    this.timer = setInterval(() => { this.running ??= this.pruneOnce().finally(() => { this.running = undefined; }); }, this.deps.everyMs ?? PRUNE_EVERY_MS);
    this.timer.unref();
  }

  /** One pass over every table; a failure is logged and left to the next pass. */
  async pruneOnce(): Promise<void> {
    for (const [table, requests] of Object.entries(this.deps.tables)) {
      try {
        const deleted = await requests.prune(this.deps.keepMs ?? KEEP_REQUESTS_MS);
        if (deleted > 0) this.deps.logger.info('old cluster requests deleted', { table, deleted });
      } catch (err) {
        this.deps.logger.warn('old cluster requests could not be deleted; the next pass tries again', { table, err });
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
