import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/** Signed webhooks out: the endpoints super admins register, and the queue of deliveries to them (webhooks/). */
export class Webhooks1767850000000 implements MigrationInterface {
  name = 'Webhooks1767850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { driver } = queryRunner.connection;
    const time = driver.normalizeType({ type: Date });
    const serial = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
    await queryRunner.createTable(new Table({
      name: 'webhook_endpoints',
      columns: [
        serial,
        { name: 'url', type: 'varchar', length: '2048' },
        { name: 'secret', type: 'varchar', length: '128' },
        { name: 'events', type: 'varchar', length: '512', isNullable: true },
        { name: 'created_by', type: 'varchar', length: '20' },
        { name: 'created_at', type: time, default: driver.mappedDataTypes.createDateDefault },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'webhook_deliveries',
      columns: [
        serial,
        { name: 'endpoint_id', type: 'integer' },
        { name: 'event_id', type: 'varchar', length: '36' },
        { name: 'event_type', type: 'varchar', length: '40' },
        { name: 'call_id', type: 'varchar', length: '36' },
        { name: 'body', type: 'text' },
        { name: 'state', type: 'varchar', length: '10' },
        { name: 'attempts', type: 'integer', default: 0 },
        { name: 'created_at', type: 'bigint' },
        { name: 'next_attempt_at', type: 'bigint' },
        { name: 'lease_owner', type: 'varchar', length: '100', isNullable: true },
        { name: 'lease_until', type: 'bigint', isNullable: true },
        { name: 'last_attempt_at', type: 'bigint', isNullable: true },
        { name: 'last_result', type: 'varchar', length: '200', isNullable: true },
        { name: 'finished_at', type: 'bigint', isNullable: true },
      ],
      indices: [
        // The queue's pending rows by when they are due, so a claim reads only those due now (finished rows pile up until pruned).
        new TableIndex({ name: 'ix_webhook_deliveries_pending', columnNames: ['next_attempt_at', 'id'], where: "state = 'pending'" }),
        new TableIndex({ name: 'ix_webhook_deliveries_chain', columnNames: ['endpoint_id', 'call_id', 'id'] }),
        new TableIndex({ name: 'ix_webhook_deliveries_finished', columnNames: ['endpoint_id', 'finished_at'] }),
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_deliveries');
    await queryRunner.dropTable('webhook_endpoints');
  }
}
