import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A call is placed by an agent (`outbound`) or made by a customer calling a pool number back
 * (`inbound`, call/return-call.ts); a return call names the earlier call it answers, whose agent,
 * disposition and note the status message shows. Rows from before were all placed by agents.
 */
export class CallsDirection1767750000000 implements MigrationInterface {
  name = 'CallsDirection1767750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('calls', [
      new TableColumn({ name: 'direction', type: 'varchar', length: '8', isNullable: false, default: "'outbound'" }),
      new TableColumn({ name: 'returns_call_id', type: 'varchar', length: '36', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('calls', 'returns_call_id');
    await queryRunner.dropColumn('calls', 'direction');
  }
}
