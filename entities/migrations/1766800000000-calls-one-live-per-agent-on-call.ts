import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * One live call per agent now names the agent who is on the call, not who placed it: a transfer
 * hands a call on, so the placer is free once they left it and the agent who took it is held.
 * Live rows start with their placer on the line (no call was transferred before this column).
 */
export class CallsOneLivePerAgentOnCall1766800000000 implements MigrationInterface {
  name = 'CallsOneLivePerAgentOnCall1766800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('calls', new TableColumn({ name: 'on_call_agent_id', type: 'integer', isNullable: true }));
    await queryRunner.query(`UPDATE calls SET on_call_agent_id = agent_id WHERE stage <> 'ended'`);
    await queryRunner.dropIndex('calls', 'uq_calls_agent_live');
    await queryRunner.createIndex('calls', new TableIndex({
      name: 'uq_calls_on_call_agent_live', columnNames: ['on_call_agent_id'], isUnique: true, where: `stage <> 'ended'`,
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('calls', 'uq_calls_on_call_agent_live');
    await queryRunner.dropColumn('calls', 'on_call_agent_id');
    await queryRunner.createIndex('calls', new TableIndex({
      name: 'uq_calls_agent_live', columnNames: ['agent_id'], isUnique: true, where: `stage <> 'ended'`,
    }));
  }
}
