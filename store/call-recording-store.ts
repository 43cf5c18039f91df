import { type DataSource, In, IsNull, LessThanOrEqual, Not, type Repository } from 'typeorm';
import { CallRecording, type RecordingState } from '../entities';

/** The steps a recording still has ahead of it: a restart resumes rows in these states. */
const UNFINISHED: readonly RecordingState[] = ['fetching', 'sending', 'cleaning'];
/** A kept file exists in these states (the CSV export's "recording present"). */
const HAS_FILE: readonly RecordingState[] = ['sending', 'cleaning', 'kept'];
/** Enough ids for one query on every driver (SQLite allows 32766 parameters, PostgreSQL 65535). */
const IDS_PER_QUERY = 500;

export type RecordingChange = Partial<Pick<CallRecording, 'path' | 'durationMs' | 'bytes' | 'state' | 'attempts' | 'lastError' | 'deletedAt'>>;

/** Who delivers a recording, and until when unless renewed (call_recordings.claimed_by / claimed_until). */
export interface RecordingClaim {
  owner: string;
  until: Date;
}

/** The call_recordings table: each call's recording on its way to the agent, then kept until its retention ends. */
export class CallRecordingStore {
  private readonly rows: Repository<CallRecording>;

  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(CallRecording);
  }

  /**
   * The row of a call's recording, written once: a second final update of the same call (a repeat,
   * another instance) finds the first row and starts nothing new.
   */
  async begin(entry: { callId: string; recordingName: string; deleteAfter: Date; pausedMs?: number; claim?: RecordingClaim }): Promise<{ row: CallRecording; isNew: boolean }> {
    try {
      await this.rows.insert({
        callId: entry.callId, recordingName: entry.recordingName, state: 'fetching', attempts: 0, deleteAfter: entry.deleteAfter,
        path: null, durationMs: null, bytes: null, lastError: null, deletedAt: null,
        claimedBy: entry.claim?.owner ?? null, claimedUntil: entry.claim?.until ?? null, pausedMs: entry.pausedMs ?? null,
      });
    } catch (err) {
      // The key is the call's id: a refused insert is the row a repeat already wrote, or a real failure.
      const existing = await this.get(entry.callId);
      if (existing) return { row: existing, isNew: false };
      throw new Error(`the recording of call ${entry.callId} could not be recorded in call_recordings`, { cause: err });
    }
    return { row: await this.rows.findOneByOrFail({ callId: entry.callId }), isNew: true };
  }

  get(callId: string): Promise<CallRecording | null> {
    return this.rows.findOneBy({ callId });
  }

  /** Writes a recording's progress; with `owner`, only while that instance's claim holds (false when it does not). */
  async change(callId: string, change: RecordingChange, owner?: string): Promise<boolean> {
    const result = await this.rows.update(owner === undefined ? { callId } : { callId, claimedBy: owner }, change);
    return (result.affected ?? 0) > 0;
  }

  /**
   * Claims an unfinished recording for `claim.owner`: one statement, so of instances racing for it
   * only one wins. It is free when nobody claims it, already this owner's, or its claim lapsed by `now`.
   */
  async claim(callId: string, claim: RecordingClaim, now: Date): Promise<boolean> {
    const unfinished = { callId, state: In([...UNFINISHED]) };
    const result = await this.rows.update(
      [{ ...unfinished, claimedBy: IsNull() }, { ...unfinished, claimedBy: claim.owner }, { ...unfinished, claimedUntil: LessThanOrEqual(now) }],
      { claimedBy: claim.owner, claimedUntil: claim.until },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Moves the owner's claim on; false when another instance has taken the recording over. */
  async renewClaim(callId: string, claim: RecordingClaim): Promise<boolean> {
    const result = await this.rows.update({ callId, claimedBy: claim.owner }, { claimedUntil: claim.until });
    return (result.affected ?? 0) > 0;
  }

  /** Lets the recording go (finished, or this instance stopping), so another instance need not wait for the claim to lapse. */
  async releaseClaim(callId: string, owner: string): Promise<void> {
    await this.rows.update({ callId, claimedBy: owner }, { claimedBy: null, claimedUntil: null });
  }

  /** The recordings a restart has to finish, oldest first. */
  unfinished(): Promise<CallRecording[]> {
    return this.rows.find({ where: { state: In([...UNFINISHED]) }, order: { createdAt: 'ASC' } });
  }

  /** Recordings whose retention has ended and that are not deleted yet, oldest first. */
  expired(now: Date, limit: number): Promise<CallRecording[]> {
    return this.rows.find({
      where: { deleteAfter: LessThanOrEqual(now), deletedAt: IsNull(), state: Not(In(['deleted', 'fetching'])) },
      order: { deleteAfter: 'ASC' }, take: limit,
    });
  }

  /** Which of these calls have a kept recording. */
  async present(callIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < callIds.length; i += IDS_PER_QUERY) {
      const rows = await this.rows.find({
        select: { callId: true },
        where: { callId: In(callIds.slice(i, i + IDS_PER_QUERY)), state: In([...HAS_FILE]), path: Not(IsNull()) },
      });
      for (const row of rows) found.add(row.callId);
    }
    return found;
  }

  /** The recordings of these calls that were converted and kept (what `call.recording_ready` told), whatever came of them after. */
  async readyOfCalls(callIds: readonly string[]): Promise<CallRecording[]> {
    const found: CallRecording[] = [];
    for (let i = 0; i < callIds.length; i += IDS_PER_QUERY) {
      found.push(...await this.rows.find({
        where: { callId: In(callIds.slice(i, i + IDS_PER_QUERY)), state: Not(In(['fetching', 'failed'])), durationMs: Not(IsNull()) },
      }));
    }
    return found;
  }
}
