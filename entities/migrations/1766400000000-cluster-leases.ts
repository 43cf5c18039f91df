import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The leases several instances take turns on (cluster/lease-store.ts). Built through TypeORM's
 * table API so the same migration gives each database its own column types.
 */
export class ClusterLeases1766400000000 implements MigrationInterface {
  name = 'ClusterLeases1766400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'leases',
      columns: [
        { name: 'name', type: 'varchar', length: '100', isPrimary: true },
        { name: 'holder', type: 'varchar', length: '200' },
        { name: 'token', type: 'bigint' },
        { name: 'expires_at', type: 'bigint' },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('leases');
  }
}
