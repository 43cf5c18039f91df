import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A URL that receives the call events (webhooks/), registered by a super admin with `/webhooks add`.
 * The secret signs every delivery; it is kept as is because signing needs it (unlike an API key, it
 * cannot be stored hashed) and it is shown only once, when the endpoint is added.
 */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  @Column({ type: 'varchar', length: 128 })
  secret!: string;

  /** The event types it receives, comma-separated; null: every type. */
  @Column({ type: 'varchar', length: 512, nullable: true })
  events!: string | null;

  /** The Telegram id of the super admin who added it. */
  @Column({ type: 'varchar', length: 20 })
  createdBy!: string;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;
}
