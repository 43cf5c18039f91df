import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One API key's requests in the current minute, counted in the database so that every instance of a
 * cluster counts against the same limit (api/shared-rate-limit.ts). One row per key, rewritten when
 * its window turns over.
 */
@Entity('api_rate_windows')
export class ApiRateWindow {
  /** What is counted: the key's name (or the caller's address before a key is known). */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  counter!: string;

  /** Milliseconds since the epoch by the database's clock, when this window began. A bigint (a string from PostgreSQL's driver). */
  @Column({ type: 'bigint' })
  windowStart!: string;

  @Column({ type: 'integer' })
  hits!: number;
}
