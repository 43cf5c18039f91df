import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A supervisor: someone a super admin allowed to listen to, whisper into and barge in on live calls
 * (`/supervisors add`). Not an agent: being one places no calls. Their phone is rung over the
 * supervised call's route.
 */
@Entity('supervisors')
export class Supervisor {
  @PrimaryColumn({ type: 'varchar', length: 20 })
  telegramId!: string;

  /** E.164. */
  @Column({ type: 'varchar', length: 20 })
  phone!: string;

  /** The super admin who added them (a Telegram id). */
  @Column({ type: 'varchar', length: 20 })
  addedBy!: string;

  @CreateDateColumn({ type: Date })
  addedAt!: Date;
}
