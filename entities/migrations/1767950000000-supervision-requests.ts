import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/** Supervisions in cluster mode, asked for on any instance and run by the owner of the call's server (entities/supervision-request.entity.ts). */
export class SupervisionRequests1767950000000 implements MigrationInterface {
  name = 'SupervisionRequests1767950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'supervision_requests',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'call_id', type: 'varchar', length: '36' },
        { name: 'server_id', type: 'varchar', length: '64' },
        { name: 'supervisor_telegram_id', type: 'varchar', length: '20' },
        { name: 'chat_id', type: 'varchar', length: '20' },
        { name: 'message_id', type: 'integer', isNullable: true },
        { name: 'agent_label', type: 'varchar', length: '100' },
        { name: 'stage', type: 'varchar', length: '12' },
        { name: 'mode', type: 'varchar', length: '8' },
        { name: 'modes', type: 'varchar', length: '200' },
        { name: 'requested_mode', type: 'varchar', length: '8', isNullable: true },
        { name: 'leave_requested', type: 'boolean' },
        { name: 'owner_token', type: 'bigint', isNullable: true },
        { name: 'requested_at', type: 'bigint' },
        { name: 'answered_at', type: 'bigint', isNullable: true },
        { name: 'ended_at', type: 'bigint', isNullable: true },
        { name: 'end_reason', type: 'varchar', length: '32', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'ix_supervision_requests_server_stage', columnNames: ['server_id', 'stage'] }),
        new TableIndex({ name: 'uq_supervision_requests_supervisor_live', columnNames: ['supervisor_telegram_id'], isUnique: true, where: `stage <> 'ended'` }),
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('supervision_requests');
  }
}
