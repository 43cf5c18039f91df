import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RouteCode } from '../call/call-types';

/** `suspended`: stopped by a super admin from an abuse alert; /authorize restores the agent. */
export type AgentStatus = 'pending' | 'active' | 'revoked' | 'suspended';

@Entity('agents')
export class Agent {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Telegram ids exceed 2^31 and may reach 2^52: kept as decimal text, exact on every database. */
  @Index('uq_agents_telegram_id', { unique: true })
  @Column({ type: 'varchar', length: 20 })
  telegramId!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  username!: string | null;

  @Column({ type: 'varchar', length: 128, default: '' })
  displayName!: string;

  /** The agent's own phone (E.164): the first leg of every call rings it. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  phone!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  callerId!: string | null;

  /** No route until the agent picks one: there is no default trunk and no failover. */
  @Column({ type: 'varchar', length: 1, nullable: true })
  route!: RouteCode | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: AgentStatus;

  @Column({ type: 'varchar', length: 20, nullable: true })
  authorizedBy!: string | null;

  @Column({ type: Date, nullable: true })
  authorizedAt!: Date | null;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;

  @UpdateDateColumn({ type: Date })
  updatedAt!: Date;
}
