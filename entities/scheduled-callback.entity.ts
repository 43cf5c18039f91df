import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RouteCode } from '../call/call-types';

/** pending: waits for its time; reminded: the agent was told; done: called back; cancelled: dropped by the agent or an admin. */
export type CallbackState = 'pending' | 'reminded' | 'done' | 'cancelled';

/**
 * A callback an agent scheduled after a call. Its reminder is sent once, by whichever process
 * moves it from pending to reminded (a conditional UPDATE), however many run on the database.
 */
@Entity('scheduled_callbacks')
@Index('ix_scheduled_callbacks_state_due', ['state', 'dueAt'])
@Index('ix_scheduled_callbacks_agent_state', ['agentId', 'state'])
export class ScheduledCallback {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The call it follows; no foreign key, so a callback outlives a call row that is pruned. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  callId!: string | null;

  @Column({ type: 'integer' })
  agentId!: number;

  /** The customer's number, E.164. */
  @Column({ type: 'varchar', length: 16 })
  number!: string;

  /** The route of the call it follows; the callback itself goes out as any /call, on the agent's route then. */
  @Column({ type: 'varchar', length: 1, nullable: true })
  route!: RouteCode | null;

  @Column({ type: Date })
  dueAt!: Date;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  state!: CallbackState;

  @Column({ type: Date, nullable: true })
  remindedAt!: Date | null;

  /** When the admins were told it was missed (reminded, not called back in time): told once. */
  @Column({ type: Date, nullable: true })
  missedNotifiedAt!: Date | null;

  /** When it was called back or cancelled. */
  @Column({ type: Date, nullable: true })
  closedAt!: Date | null;

  /** Who cancelled it (a Telegram id), when it was cancelled. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  closedBy!: string | null;
}
