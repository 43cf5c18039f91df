import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Call recording: each call's recording on its way to the agent and then kept (call_recordings),
 * and the settings super admins change from Telegram (a route's recording policy, its consent announcement).
 */
export class CallRecordings1767200000000 implements MigrationInterface {
  name = 'CallRecordings1767200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { driver } = queryRunner.connection;
    const time = driver.normalizeType({ type: Date });
    await queryRunner.createTable(new Table({
      name: 'call_recordings',
      columns: [
        { name: 'call_id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'recording_name', type: 'varchar', length: '255' },
        { name: 'path', type: 'varchar', length: '1024', isNullable: true },
        { name: 'duration_ms', type: 'integer', isNullable: true },
        { name: 'bytes', type: 'integer', isNullable: true },
        { name: 'state', type: 'varchar', length: '12' },
        { name: 'attempts', type: 'integer', default: 0 },
        { name: 'last_error', type: 'varchar', length: '1024', isNullable: true },
        { name: 'created_at', type: time, default: driver.mappedDataTypes.createDateDefault },
        { name: 'delete_after', type: time },
        { name: 'deleted_at', type: time, isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'ix_call_recordings_state', columnNames: ['state'] }),
        new TableIndex({ name: 'ix_call_recordings_delete_after', columnNames: ['delete_after'] }),
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'settings',
      columns: [
        { name: 'key', type: 'varchar', length: '64', isPrimary: true },
        { name: 'value', type: 'varchar', length: '255' },
        { name: 'updated_by', type: 'varchar', length: '20' },
        { name: 'updated_at', type: time, default: driver.mappedDataTypes.updateDateDefault },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('settings');
    await queryRunner.dropTable('call_recordings');
  }
}
