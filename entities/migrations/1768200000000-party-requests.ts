import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Transfers in cluster mode asked for on an instance that does not run the call: the owner of the
 * call's server claims the row, checks and carries out the transfer, and writes its answer on the
 * row for the instance that waits for it (cluster/party-requests.ts).
 */
export class PartyRequests1768200000000 implements MigrationInterface {
  name = 'PartyRequests1768200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'party_requests',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'call_id', type: 'varchar', length: '36' },
        { name: 'server_id', type: 'varchar', length: '64' },
        { name: 'requester_telegram_id', type: 'varchar', length: '20' },
        { name: 'requester_agent_id', type: 'integer', isNullable: true },
        { name: 'requester_is_admin', type: 'boolean' },
        { name: 'mode', type: 'varchar', length: '8' },
        { name: 'target_agent_id', type: 'integer', isNullable: true },
        { name: 'target_number', type: 'varchar', length: '64', isNullable: true },
        { name: 'stage', type: 'varchar', length: '12' },
        { name: 'answer', type: 'text', isNullable: true },
        { name: 'owner_token', type: 'bigint', isNullable: true },
        { name: 'requested_at', type: 'bigint' },
        { name: 'answered_at', type: 'bigint', isNullable: true },
      ],
      indices: [new TableIndex({ name: 'ix_party_requests_server_stage', columnNames: ['server_id', 'stage'] })],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('party_requests');
  }
}
