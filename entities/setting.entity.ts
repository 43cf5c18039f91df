import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A setting a super admin changed from Telegram (a route's recording policy, its announcement), overriding configuration. */
@Entity('settings')
export class Setting {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Column({ type: 'varchar', length: 255 })
  value!: string;

  /** The super admin who set it. */
  @Column({ type: 'varchar', length: 20 })
  updatedBy!: string;

  @UpdateDateColumn({ type: Date })
  updatedAt!: Date;
}
