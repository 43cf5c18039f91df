import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/** The calls a check reads: those ended, or given a disposition, in its window (without these, every ended call is scanned). */
const CALL_INDEXES = [
  new TableIndex({ name: 'ix_calls_ended_at', columnNames: ['ended_at'] }),
  new TableIndex({ name: 'ix_calls_disposition_at', columnNames: ['disposition_at'] }),
];

/**
 * An event is queued once per endpoint: re-deriving a call's events from the database (at start, and
 * periodically for an instance that died) may then run at any time, beside the live outbox, and an
 * event already queued is skipped by the database instead of queued twice.
 */
export class WebhookEventOnce1768050000000 implements MigrationInterface {
  name = 'WebhookEventOnce1768050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A start's re-derivation racing a live write could queue one event twice before: keep the first.
    await queryRunner.query(`DELETE FROM webhook_deliveries WHERE id NOT IN
      (SELECT MIN(id) FROM webhook_deliveries GROUP BY endpoint_id, event_id)`);
    await queryRunner.createIndex('webhook_deliveries', new TableIndex({
      name: 'uq_webhook_deliveries_event', columnNames: ['endpoint_id', 'event_id'], isUnique: true,
    }));
    await queryRunner.createIndices('calls', CALL_INDEXES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of CALL_INDEXES) await queryRunner.dropIndex('calls', index.name!);
    await queryRunner.dropIndex('webhook_deliveries', 'uq_webhook_deliveries_event');
  }
}
