import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Where a cluster supervision is: asked for, ringing the supervisor, on, or ended. */
export type SupervisionRequestStage = 'requested' | 'ringing' | 'active' | 'ended';

/**
 * A supervisor's request to listen, whisper or barge on a call, in cluster mode: any instance records
 * it, the owner of the call's server claims it once (under its lease's token) and runs it there, where
 * the agent's channel is; mode switches and Leave are written on it for that owner. Its end is written
 * once, by whichever instance ends it, and only that one audits it. A single instance leaves it empty.
 */
@Entity('supervision_requests')
@Index('ix_supervision_requests_server_stage', ['serverId', 'stage'])
/** One supervision at a time per supervisor, across every instance. */
@Index('uq_supervision_requests_supervisor_live', ['supervisorTelegramId'], { unique: true, where: `stage <> 'ended'` })
export class SupervisionRequest {
  /** The supervision's id (its channels and bridge are named after it). */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36 })
  callId!: string;

  /** The Asterisk server the call runs on: its owner runs the supervision. */
  @Column({ type: 'varchar', length: 64 })
  serverId!: string;

  @Column({ type: 'varchar', length: 20 })
  supervisorTelegramId!: string;

  /** The chat of the supervisor's message, and the message once sent (by the owner). */
  @Column({ type: 'varchar', length: 20 })
  chatId!: string;

  @Column({ type: 'integer', nullable: true })
  messageId!: number | null;

  /** The agent as /live named them, for the supervisor's message. */
  @Column({ type: 'varchar', length: 100 })
  agentLabel!: string;

  @Column({ type: 'varchar', length: 12 })
  stage!: SupervisionRequestStage;

  /** The mode asked for, then the current one. */
  @Column({ type: 'varchar', length: 8 })
  mode!: string;

  /** The modes used so far, in order (`listen>whisper`). */
  @Column({ type: 'varchar', length: 200 })
  modes!: string;

  /** A mode switch asked for on another instance, until the owner carries it out. */
  @Column({ type: 'varchar', length: 8, nullable: true })
  requestedMode!: string | null;

  @Column({ type: 'boolean' })
  leaveRequested!: boolean;

  /** The lease token of the owner that claimed it; null while it waits. A bigint (a string from PostgreSQL's driver). */
  @Column({ type: 'bigint', nullable: true })
  ownerToken!: string | null;

  /** Epoch milliseconds. */
  @Column({ type: 'bigint' })
  requestedAt!: string;

  @Column({ type: 'bigint', nullable: true })
  answeredAt!: string | null;

  @Column({ type: 'bigint', nullable: true })
  endedAt!: string | null;

  /** Why it ended (call/supervision.ts's SupervisionEnd, `restart`, or a refusal at ringing time). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  endReason!: string | null;
}
