import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One named lease among the app's instances (cluster/lease-store.ts): who holds it, until when by the
 * database's clock, and the fencing token that rises with every change of holder so that a write
 * made under an old holding can be refused. The row outlives a release so the token never goes back.
 */
@Entity('leases')
export class ClusterLease {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 200 })
  holder!: string;

  /** A bigint: PostgreSQL's driver reads it as a string, SQLite's as a number. */
  @Column({ type: 'bigint' })
  token!: string;

  /** Milliseconds since the epoch by the database's clock, the only clock every instance shares. */
  @Column({ type: 'bigint' })
  expiresAt!: string;
}
