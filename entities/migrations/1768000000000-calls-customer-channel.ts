import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A return call keeps its customer's channel id (Asterisk names an inbound channel, callbot does
 * not): the instance that takes a call over, or a restart, finds the customer's channel by it.
 */
export class CallsCustomerChannel1768000000000 implements MigrationInterface {
  name = 'CallsCustomerChannel1768000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('calls', new TableColumn({ name: 'customer_channel_id', type: 'varchar', length: '128', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('calls', 'customer_channel_id');
  }
}
