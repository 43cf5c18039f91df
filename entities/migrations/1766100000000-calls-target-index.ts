import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * The attempt caps count a customer number's recent calls on every request: this index keeps that
 * count a range scan of one number's rows instead of a scan of the whole table.
 */
export class CallsTargetIndex1766100000000 implements MigrationInterface {
  name = 'CallsTargetIndex1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('calls', new TableIndex({ name: 'ix_calls_target_requested', columnNames: ['target', 'requested_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('calls', 'ix_calls_target_requested');
  }
}
