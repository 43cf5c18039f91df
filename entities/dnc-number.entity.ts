import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A number on the do-not-call list, keyed by its E.164 digits as an integer (at most 15 digits, exact
 * in a JS number): the key is the whole row's identity, so a check is one primary-key lookup and the
 * table is one B-tree (on SQLite a WITHOUT ROWID table, see the migration).
 */
@Entity('dnc_numbers')
export class DncNumber {
  @PrimaryColumn({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  number!: number;

  /** The listing that put it there; listings are never deleted. */
  @Column({ type: 'integer' })
  listingId!: number;
}
