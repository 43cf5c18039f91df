import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { LegRole } from '../call/call-types';
import { Call } from './call.entity';

/**
 * One row per leg of a call (who, in what role, from when to when), so the record says who talked
 * to whom and for how long. Written as the call's legs change, each write naming only its own
 * columns, so a row may be made by any of them: only the keys are required.
 */
@Entity('call_legs')
/** An agent's history lists the calls they took a part in, not only those they placed. */
@Index('ix_call_legs_agent', ['agentId'])
export class CallLeg {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  callId!: string;

  @ManyToOne(() => Call, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'call_id', foreignKeyConstraintName: 'fk_call_legs_call' })
  call?: Call;

  /** `agent`, `target`, then `p3`, `p4`, … (call/call-types.ts). */
  @PrimaryColumn({ type: 'varchar', length: 8 })
  legId!: string;

  @Column({ type: 'varchar', length: 12, nullable: true })
  role!: LegRole | null;

  /** What users read for the party: an agent's name or a number. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  label!: string | null;

  /** The agent on this leg, when it is one (not a foreign key: the row must outlive nothing and block nothing). */
  @Column({ type: 'integer', nullable: true })
  agentId!: number | null;

  /** The E.164 number the leg dialed. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  number!: string | null;

  @Column({ type: Date, nullable: true })
  requestedAt!: Date | null;

  @Column({ type: Date, nullable: true })
  answeredAt!: Date | null;

  @Column({ type: Date, nullable: true })
  endedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  hangupCause!: number | null;
}
