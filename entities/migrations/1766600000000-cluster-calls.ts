import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Several instances on one database (cluster mode): which Asterisk server each call runs on, under
 * which lease token its owner started it, a cancel asked for on another instance, and the servers'
 * connection state as their owners last wrote it. A single instance leaves all of it empty.
 */
export class ClusterCalls1766600000000 implements MigrationInterface {
  name = 'ClusterCalls1766600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('calls', [
      new TableColumn({ name: 'server_id', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'owner_token', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'cancel_requested_by', type: 'varchar', length: '8', isNullable: true }),
    ]);
    await queryRunner.createIndex('calls', new TableIndex({ name: 'ix_calls_server_stage', columnNames: ['server_id', 'stage'] }));
    await queryRunner.createTable(new Table({
      name: 'asterisk_servers',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'connected', type: 'boolean' },
        { name: 'changed_at', type: 'bigint' },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('asterisk_servers');
    await queryRunner.dropIndex('calls', 'ix_calls_server_stage');
    await queryRunner.dropColumns('calls', ['cancel_requested_by', 'owner_token', 'server_id']);
  }
}
