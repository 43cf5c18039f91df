import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** How a number came onto the do-not-call list. */
export type DncListingKind = 'admin' | 'import' | 'agent';

/**
 * One act of putting numbers on the do-not-call list: an admin's /dnc add, one imported file, or
 * an agent's "asked not to be called". It holds the when, who and why once, however many numbers
 * it listed, so that ten million imported numbers cost ten million small rows and one of these.
 */
@Entity('dnc_listings')
export class DncListing {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 8 })
  kind!: DncListingKind;

  /** The Telegram user id of the admin or agent. */
  @Column({ type: 'varchar', length: 20 })
  addedBy!: string;

  @Column({ type: 'varchar', length: 256, default: '' })
  reason!: string;

  /** The call whose number an agent marked. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  callId!: string | null;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;
}
