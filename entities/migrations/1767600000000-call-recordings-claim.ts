import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A recording on its way is claimed by the instance delivering it, until a time it keeps moving
 * forward: another instance starting meanwhile leaves it alone, and takes it over once the claim lapses.
 * The time the recording was paused is kept too, so its voice message can say so (Asterisk leaves it out of the file).
 */
export class CallRecordingsClaim1767600000000 implements MigrationInterface {
  name = 'CallRecordingsClaim1767600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.addColumns('call_recordings', [
      new TableColumn({ name: 'claimed_by', type: 'varchar', length: '128', isNullable: true }),
      new TableColumn({ name: 'claimed_until', type: time, isNullable: true }),
      new TableColumn({ name: 'paused_ms', type: 'integer', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('call_recordings', 'paused_ms');
    await queryRunner.dropColumn('call_recordings', 'claimed_until');
    await queryRunner.dropColumn('call_recordings', 'claimed_by');
  }
}
