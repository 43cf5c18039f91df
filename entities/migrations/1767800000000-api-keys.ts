import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The HTTP API: its keys (hashed) and its call requests with their idempotency records. An agent's
 * "accept integration calls without asking" is a row of the settings table, not a column of agents:
 * the earlier migrations' specs write agents through today's entity.
 */
export class ApiKeys1767800000000 implements MigrationInterface {
  name = 'ApiKeys1767800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const time = driver.normalizeType({ type: Date });
    await queryRunner.createTable(new Table({
      name: 'api_keys',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'name', type: 'varchar', length: '16' },
        { name: 'token_hash', type: 'varchar', length: '64' },
        { name: 'scopes', type: 'varchar', length: '64' },
        { name: 'rate_per_min', type: 'integer' },
        { name: 'created_by', type: 'varchar', length: '20' },
        { name: 'created_at', type: time, default: driver.mappedDataTypes.createDateDefault },
        { name: 'revoked_at', type: time, isNullable: true },
      ],
    }));
    await queryRunner.createIndex('api_keys', new TableIndex({ name: 'uq_api_keys_name', columnNames: ['name'], isUnique: true }));
    await queryRunner.createTable(new Table({
      name: 'api_call_requests',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'key_id', type: 'integer' },
        { name: 'idempotency_key', type: 'varchar', length: '128' },
        { name: 'body_hash', type: 'varchar', length: '64' },
        { name: 'agent_telegram_id', type: 'varchar', length: '20' },
        { name: 'number', type: 'varchar', length: '64' },
        { name: 'requester', type: 'varchar', length: '64' },
        { name: 'state', type: 'varchar', length: '12' },
        { name: 'call_id', type: 'varchar', length: '36', isNullable: true },
        { name: 'response_status', type: 'integer' },
        { name: 'response_body', type: 'text' },
        { name: 'created_at', type: time, default: driver.mappedDataTypes.createDateDefault },
      ],
    }));
    await queryRunner.createIndex('api_call_requests', new TableIndex({
      name: 'uq_api_call_requests_key_idempotency', columnNames: ['key_id', 'idempotency_key'], isUnique: true,
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_call_requests');
    await queryRunner.dropTable('api_keys');
  }
}
