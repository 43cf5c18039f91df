import type { Logger } from '../config/logger';
import type { AuditLog, CallRecordingStore } from '../store';
import type { RecordingFiles } from './recording-files';

/** Recordings deleted per pass; the next pass (or the next batch at once) takes the rest. */
const BATCH = 200;
/** How often retention is checked: a recording outlives its days by at most this. */
export const RETENTION_INTERVAL_MS = 60 * 60_000;

/** Runs a job beside the bot (ops/background-jobs.ts), stopped with it. */
export interface JobRunner {
  start(name: string, job: (signal: AbortSignal) => Promise<void>): void;
}

/**
 * RECORDING_RETENTION_DAYS: kept recordings whose time is up are deleted (the file, then the row
 * marked `deleted`) and each deletion is audited. On every instance at once this is harmless: a
 * row already marked is not found again, and a file already gone counts as deleted.
 */
export class RecordingRetention {
  constructor(private readonly deps: {
    recordings: Pick<CallRecordingStore, 'expired' | 'change'>; files: Pick<RecordingFiles, 'remove'>; audit: AuditLog;
    retentionDays: number; logger: Logger; now?: () => number; intervalMs?: number;
  }) {}

  /** Deletes every recording past its retention; how many. */
  async sweep(): Promise<number> {
    const now = new Date((this.deps.now ?? Date.now)());
    let deleted = 0;
    for (;;) {
      const expired = await this.deps.recordings.expired(now, BATCH);
      for (const row of expired) {
        if (row.path) await this.deps.files.remove(row.path);
        await this.deps.recordings.change(row.callId, { state: 'deleted', deletedAt: now, path: null });
        await this.deps.audit.record({
          actor: 'system', action: 'recording_deleted', subject: row.callId, details: `retention of ${this.deps.retentionDays} days ended`,
        });
        deleted += 1;
      }
      if (expired.length < BATCH) break;
    }
    if (deleted > 0) this.deps.logger.info('recordings deleted at the end of their retention', { recordings: deleted });
    return deleted;
  }

  /** Sweeps now and then every interval until the runner stops; a failed sweep is logged and tried again next time. */
  start(jobs: JobRunner): void {
    jobs.start('recording retention', async (signal) => {
      while (!signal.aborted) {
        await this.sweep().catch((err: unknown) => {
          this.deps.logger.error('recording retention sweep failed', { err });
        });
        await pause(this.deps.intervalMs ?? RETENTION_INTERVAL_MS, signal);
      }
    });
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
