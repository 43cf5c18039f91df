import { Column, Entity, Index, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';

/** `pending` until the receiver answers 2xx (`delivered`) or the retries run out (`failed`). */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** Times are milliseconds since the epoch in a bigint: PostgreSQL's driver reads them as strings, SQLite's as numbers. */
const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * One event on its way to one endpoint: the queue the delivery worker reads (webhooks/webhook-worker.ts).
 * The id orders a call's events; a row is claimed by one worker at a time through its lease.
 */
@Entity('webhook_deliveries')
@Index('ix_webhook_deliveries_pending', ['nextAttemptAt', 'id'], { where: "state = 'pending'" })
@Index('ix_webhook_deliveries_chain', ['endpointId', 'callId', 'id'])
@Index('ix_webhook_deliveries_finished', ['endpointId', 'finishedAt'])
@Index('uq_webhook_deliveries_event', ['endpointId', 'eventId'], { unique: true })
export class WebhookDelivery {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'integer' })
  endpointId!: number;

  /** The event's id, the same at every endpoint (receivers drop repeats by it). */
  @Column({ type: 'varchar', length: 36 })
  eventId!: string;

  @Column({ type: 'varchar', length: 40 })
  eventType!: string;

  @Column({ type: 'varchar', length: 36 })
  callId!: string;

  /** The JSON body, exactly as signed and sent. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 10 })
  state!: WebhookDeliveryState;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  nextAttemptAt!: number;

  /** The worker holding the row while it posts it, and until when: a worker that dies lets it go when the lease runs out. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  leaseOwner!: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  leaseUntil!: number | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  lastAttemptAt!: number | null;

  /** What the last attempt got: `HTTP 500`, `timeout`, the network error. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  lastResult!: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  finishedAt!: number | null;
}
