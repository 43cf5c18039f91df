import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * An agent's note is a reply to a call's status message: the call is found by the chat and the
 * message replied to, with this index a lookup of one row instead of a scan of every call.
 */
export class CallsStatusMessageIndex1767050000000 implements MigrationInterface {
  name = 'CallsStatusMessageIndex1767050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('calls', new TableIndex({ name: 'ix_calls_status_message', columnNames: ['telegram_chat_id', 'status_message_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('calls', 'ix_calls_status_message');
  }
}
