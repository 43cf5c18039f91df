import type { Logger } from '../config/logger';

/** However a stop goes, the process is gone by then; the deploy unit's TimeoutStopSec matches it. */
export const STOP_HARD_CAP_MS = 10_000;
/**
 * A terminal's Ctrl-C reaches the whole process group, and npm forwards its copy to us as well:
 * the same signal again this soon is that copy, not a person asking a second time.
 */
const SAME_SIGNAL_MS = 1_000;

const SIGNAL_NUMBER: Record<StopSignal, number> = { SIGINT: 2, SIGTERM: 15 };
export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface ShutdownOptions {
  logger: Logger;
  hardCapMs?: number;
  exit?: (code: number) => void;
}

/**
 * The service's stop on SIGTERM or SIGINT, ready from the first moment of start-up: each part
 * registers how it is closed once it is open, and a stop closes them newest first. A second
 * signal, or a stop that outlasts the hard cap, exits at once.
 * Exit codes: 0 stopped cleanly; 1 the stop hit the cap; 128 + the signal's number on a second signal.
 */
export class Shutdown {
  private readonly steps: Array<{ name: string; run: () => unknown }> = [];
  private first?: { signal: StopSignal; at: number };
  private readonly exit: (code: number) => void;

  constructor(private readonly options: ShutdownOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** How to close one part; parts close in the reverse of the order they were added. */
  add(name: string, run: () => unknown): void {
    this.steps.push({ name, run });
  }

  listen(target: NodeJS.EventEmitter = process): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) target.on(signal, () => this.onSignal(signal));
  }

  get stopping(): boolean {
    return this.first !== undefined;
  }

  onSignal(signal: StopSignal): void {
    const { logger } = this.options;
    if (!this.first) {
      this.first = { signal, at: Date.now() };
      void this.stop(signal);
      return;
    }
    if (signal === this.first.signal && Date.now() - this.first.at < SAME_SIGNAL_MS) return;
    logger.warn('second signal: exiting now, without finishing the stop', { signal });
    this.exit(128 + SIGNAL_NUMBER[signal]);
  }

  private async stop(signal: StopSignal): Promise<void> {
    const { logger } = this.options;
    const capMs = this.options.hardCapMs ?? STOP_HARD_CAP_MS;
    const cap = setTimeout(() => {
      logger.error('the stop took too long; exiting without finishing it', { limitS: capMs / 1000 });
      this.exit(1);
    }, capMs);
    logger.info('stopping', { signal });
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
      } catch (err) {
        logger.warn(`stopping: closing ${step.name} failed`, { err });
      }
    }
    clearTimeout(cap);
    logger.info('stopped');
    this.exit(0);
  }
}
