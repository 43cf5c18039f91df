import type { CallRecordingStore } from '../store';
import type { RecordingFiles } from './recording-files';

/** What `/recording <call>` finds for a call. */
export type KeptRecording =
  | { kind: 'unknown' }
  | { kind: 'not-ready' }
  | { kind: 'failed'; error: string | null }
  | { kind: 'deleted'; at: Date }
  | { kind: 'ready'; ogg: Buffer; durationMs: number; pausedMs: number };

/** The kept recordings, as admins ask for them again; and which calls have one (the CSV export). */
export class KeptRecordings {
  constructor(private readonly deps: { recordings: Pick<CallRecordingStore, 'get' | 'present'>; files: Pick<RecordingFiles, 'read'> }) {}

  async find(callId: string): Promise<KeptRecording> {
    const row = await this.deps.recordings.get(callId);
    if (!row) return { kind: 'unknown' };
    if (row.state === 'deleted') return { kind: 'deleted', at: row.deletedAt ?? row.deleteAfter };
    if (row.state === 'failed') return { kind: 'failed', error: row.lastError };
    if (!row.path) return { kind: 'not-ready' };
    const ogg = await this.deps.files.read(row.path).catch(() => null);
    // A file removed by hand behind the row's back is as good as deleted.
    if (!ogg) return { kind: 'deleted', at: row.deletedAt ?? new Date() };
    return { kind: 'ready', ogg, durationMs: row.durationMs ?? 0, pausedMs: row.pausedMs ?? 0 };
  }

  /** Which of these calls have a kept recording (`recordingsPresent` for the CSV export). */
  recordingsPresent(callIds: string[]): Promise<Set<string>> {
    return this.deps.recordings.present(callIds);
  }
}
