import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room for the `suspended` status, one character longer than the column allowed. PostgreSQL
 * widens the column in place; TypeORM would drop and re-add it there, losing every status, so it
 * is plain SQL. SQLite's column change rebuilds the table with its rows, index and the calls' key.
 */
export class AgentStatusSuspended1766300000000 implements MigrationInterface {
  name = 'AgentStatusSuspended1766300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await setStatusLength(queryRunner, 16);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The narrower column cannot hold the status; a suspended agent has no access, as a revoked one.
    await queryRunner.query(`UPDATE agents SET status = 'revoked' WHERE status = 'suspended'`);
    await setStatusLength(queryRunner, 8);
  }
}

async function setStatusLength(queryRunner: QueryRunner, length: number): Promise<void> {
  if (queryRunner.connection.driver.options.type === 'postgres') {
    await queryRunner.query(`ALTER TABLE agents ALTER COLUMN status TYPE varchar(${length})`);
    return;
  }
  const table = await queryRunner.getTable('agents');
  const column = table?.findColumnByName('status');
  if (!table || !column) throw new Error('the agents table has no status column');
  const wider = column.clone();
  wider.length = String(length);
  await queryRunner.changeColumn(table, column, wider);
}
