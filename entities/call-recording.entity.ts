import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Where a call's recording is on its way from Asterisk to the agent: `fetching` (from Asterisk, then
 * converted and kept), `sending` (the voice message to the agent, and admins), `cleaning` (removing
 * it from Asterisk), `kept` (done), `failed` (given up; the agent was told) and `deleted` (retention).
 */
export type RecordingState = 'fetching' | 'sending' | 'cleaning' | 'kept' | 'failed' | 'deleted';

/** One call's recording: the pipeline's progress, so a restart resumes it, and the kept file. */
@Entity('call_recordings')
@Index('ix_call_recordings_state', ['state'])
@Index('ix_call_recordings_delete_after', ['deleteAfter'])
export class CallRecording {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  callId!: string;

  /** Asterisk's name of the stored recording (`GET /recordings/stored/{name}/file`). */
  @Column({ type: 'varchar', length: 255 })
  recordingName!: string;

  /** The kept OGG/Opus file, once converted. */
  @Column({ type: 'varchar', length: 1024, nullable: true })
  path!: string | null;

  @Column({ type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ type: 'integer', nullable: true })
  bytes!: number | null;

  @Column({ type: 'varchar', length: 12 })
  state!: RecordingState;

  /** Attempts at the current step; back to 0 when a step is done. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  deleteAfter!: Date;

  @Column({ type: Date, nullable: true })
  deletedAt!: Date | null;

  /** The instance delivering the recording now (its instance id), while the claim lasts; none once finished or let go. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  claimedBy!: string | null;

  /** Until when the claim holds unless renewed: past it, another instance may take the recording over. */
  @Column({ type: Date, nullable: true })
  claimedUntil!: Date | null;

  /** How long the agent paused the recording: Asterisk leaves that time out of the file, the caption says it. */
  @Column({ type: 'integer', nullable: true })
  pausedMs!: number | null;
}
