import type { Logger } from '../config/logger';

/**
 * Long admin work (a do-not-call import) run beside the chat instead of inside its turn: the chat
 * keeps answering while it runs (a /revoke is not queued behind a million-line file), and in
 * cluster mode the chat's lock is released as soon as the job has started. Stopping aborts the
 * jobs and waits for each to say how far it got.
 */
export class BackgroundJobs {
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly logger: Logger) {}

  /** Starts a job; its failure is logged here (the job tells its user itself). Refused once stopping. */
  start(name: string, job: (signal: AbortSignal) => Promise<void>): void {
    if (this.stopping.signal.aborted) throw new Error(`background job "${name}" not started: the bot is stopping`);
    // Started at once (a throw becomes a rejection), so a job sees a stop that comes right after.
    const run = new Promise<void>((resolve) => resolve(job(this.stopping.signal)))
      .catch((err: unknown) => {
        this.logger.error('background job failed', { job: name, err });
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** How many jobs are running. */
  get size(): number {
    return this.running.size;
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error('the bot is stopping'));
    await Promise.allSettled([...this.running]);
  }
}
