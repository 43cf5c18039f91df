import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RouteCode } from '../call/call-types';

export type CallerIdStatus = 'unverified' | 'verified';

/**
 * One number of the organisation's caller-ID pool on one route: agents' calls may present it only
 * once a verification call over that route has proved someone there holds it.
 */
@Entity('caller_ids')
@Index('uq_caller_ids_number_route', ['number', 'route'], { unique: true })
export class CallerId {
  @PrimaryGeneratedColumn()
  id!: number;

  /** E.164. */
  @Column({ type: 'varchar', length: 16 })
  number!: string;

  @Column({ type: 'varchar', length: 1 })
  route!: RouteCode;

  @Column({ type: 'varchar', length: 12, default: 'unverified' })
  status!: CallerIdStatus;

  /** The super admin who added it. */
  @Column({ type: 'varchar', length: 20 })
  addedBy!: string;

  /** The super admin whose verification call proved it. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  verifiedBy!: string | null;

  @Column({ type: Date, nullable: true })
  verifiedAt!: Date | null;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;
}
