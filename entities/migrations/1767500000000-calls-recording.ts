import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** A live call keeps its recording's name and pause state, so a restart or a take-over resumes the recording with the call. */
export class CallsRecording1767500000000 implements MigrationInterface {
  name = 'CallsRecording1767500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.addColumns('calls', [
      new TableColumn({ name: 'recording_name', type: 'varchar', length: '128', isNullable: true }),
      new TableColumn({ name: 'recording_started_at', type: time, isNullable: true }),
      new TableColumn({ name: 'recording_paused_ms', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'recording_paused_at', type: time, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('calls', 'recording_paused_at');
    await queryRunner.dropColumn('calls', 'recording_paused_ms');
    await queryRunner.dropColumn('calls', 'recording_started_at');
    await queryRunner.dropColumn('calls', 'recording_name');
  }
}
