import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** After-call work: each call keeps the disposition its agent chose and the agent's note. */
export class CallAfterWork1767000000000 implements MigrationInterface {
  name = 'CallAfterWork1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.addColumns('calls', [
      new TableColumn({ name: 'disposition', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({ name: 'disposition_at', type: time, isNullable: true }),
      new TableColumn({ name: 'note', type: 'text', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('calls', 'note');
    await queryRunner.dropColumn('calls', 'disposition_at');
    await queryRunner.dropColumn('calls', 'disposition');
  }
}
