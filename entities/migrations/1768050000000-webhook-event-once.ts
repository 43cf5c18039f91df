import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('webhook_deliveries', 'uq_webhook_deliveries_event');
  }
}
