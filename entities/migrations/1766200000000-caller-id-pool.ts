import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The organisation's caller-ID pool, one row per number and route. Schema objects rather than SQL,
 * as in the initial schema, so the same migration runs on SQLite and PostgreSQL.
 */
export class CallerIdPool1766200000000 implements MigrationInterface {
  name = 'CallerIdPool1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { driver } = queryRunner.connection;
    const time = driver.normalizeType({ type: Date });
    await queryRunner.createTable(new Table({
      name: 'caller_ids',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'number', type: 'varchar', length: '16' },
        { name: 'route', type: 'varchar', length: '1' },
        { name: 'status', type: 'varchar', length: '12', default: "'unverified'" },
        { name: 'added_by', type: 'varchar', length: '20' },
        { name: 'verified_by', type: 'varchar', length: '20', isNullable: true },
        { name: 'verified_at', type: time, isNullable: true },
        { name: 'created_at', type: time, default: driver.mappedDataTypes.createDateDefault },
      ],
      indices: [new TableIndex({ name: 'uq_caller_ids_number_route', columnNames: ['number', 'route'], isUnique: true })],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('caller_ids');
  }
}
