import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('audit_events')
@Index('ix_audit_events_created', ['createdAt'])
export class AuditEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  /** A Telegram user id, or `system` for what the service does by itself. */
  @Column({ type: 'varchar', length: 20 })
  actor!: string;

  @Column({ type: 'varchar', length: 32 })
  action!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  subject!: string | null;

  @Column({ type: 'varchar', length: 1024, default: '' })
  details!: string;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;
}
