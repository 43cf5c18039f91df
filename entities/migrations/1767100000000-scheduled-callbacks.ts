import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/** Scheduled callbacks (after-call work): one row each, claimed by a conditional UPDATE when due. */
export class ScheduledCallbacks1767100000000 implements MigrationInterface {
  name = 'ScheduledCallbacks1767100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.createTable(new Table({
      name: 'scheduled_callbacks',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'call_id', type: 'varchar', length: '36', isNullable: true },
        { name: 'agent_id', type: 'integer' },
        { name: 'number', type: 'varchar', length: '16' },
        { name: 'route', type: 'varchar', length: '1', isNullable: true },
        { name: 'due_at', type: time },
        { name: 'created_at', type: time },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'reminded_at', type: time, isNullable: true },
        { name: 'missed_notified_at', type: time, isNullable: true },
        { name: 'closed_at', type: time, isNullable: true },
        { name: 'closed_by', type: 'varchar', length: '20', isNullable: true },
      ],
    }));
    await queryRunner.createIndex('scheduled_callbacks', new TableIndex({ name: 'ix_scheduled_callbacks_state_due', columnNames: ['state', 'due_at'] }));
    await queryRunner.createIndex('scheduled_callbacks', new TableIndex({ name: 'ix_scheduled_callbacks_agent_state', columnNames: ['agent_id', 'state'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scheduled_callbacks');
  }
}
