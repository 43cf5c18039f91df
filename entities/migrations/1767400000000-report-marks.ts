import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The day each scheduled report last went out (entities/report-mark.entity.ts). */
export class ReportMarks1767400000000 implements MigrationInterface {
  name = 'ReportMarks1767400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'report_marks',
      columns: [
        { name: 'name', type: 'varchar', length: '32', isPrimary: true },
        { name: 'last_day', type: 'varchar', length: '10' },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('report_marks');
  }
}
