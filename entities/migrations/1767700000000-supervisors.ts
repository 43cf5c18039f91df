import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** Supervisors, allowed by super admins to monitor live calls (entities/supervisor.entity.ts). */
export class Supervisors1767700000000 implements MigrationInterface {
  name = 'Supervisors1767700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    await queryRunner.createTable(new Table({
      name: 'supervisors',
      columns: [
        { name: 'telegram_id', type: 'varchar', length: '20', isPrimary: true },
        { name: 'phone', type: 'varchar', length: '20' },
        { name: 'added_by', type: 'varchar', length: '20' },
        { name: 'added_at', type: driver.normalizeType({ type: Date }), default: driver.mappedDataTypes.createDateDefault },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('supervisors');
  }
}
