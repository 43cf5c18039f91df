import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A key of the HTTP API, made by a super admin with /apikeys. Only the SHA-256 of its token is kept:
 * the token itself is shown once, when the key is made.
 */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Unique among keys, revoked ones included, so the audit log's `api:<name>` names one key. */
  @Index('uq_api_keys_name', { unique: true })
  @Column({ type: 'varchar', length: 16 })
  name!: string;

  /** Hex SHA-256 of the whole token. */
  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  /** Space-separated scopes (api/api-scopes.ts). */
  @Column({ type: 'varchar', length: 64 })
  scopes!: string;

  @Column({ type: 'integer' })
  ratePerMin!: number;

  @Column({ type: 'varchar', length: 20 })
  createdBy!: string;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;

  @Column({ type: Date, nullable: true })
  revokedAt!: Date | null;
}
