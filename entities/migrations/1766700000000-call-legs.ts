import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Calls of more than two parties: a call's legs in a table of their own (who, in what role, from
 * when to when). The calls table stays as it is; a call placed before this has no leg rows.
 */
export class CallLegs1766700000000 implements MigrationInterface {
  name = 'CallLegs1766700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.createTable(new Table({
      name: 'call_legs',
      columns: [
        { name: 'call_id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'leg_id', type: 'varchar', length: '8', isPrimary: true },
        { name: 'role', type: 'varchar', length: '12', isNullable: true },
        { name: 'label', type: 'varchar', length: '128', isNullable: true },
        { name: 'agent_id', type: 'integer', isNullable: true },
        { name: 'number', type: 'varchar', length: '16', isNullable: true },
        { name: 'requested_at', type: time, isNullable: true },
        { name: 'answered_at', type: time, isNullable: true },
        { name: 'ended_at', type: time, isNullable: true },
        { name: 'hangup_cause', type: 'integer', isNullable: true },
      ],
      indices: [new TableIndex({ name: 'ix_call_legs_agent', columnNames: ['agent_id'] })],
      foreignKeys: [new TableForeignKey({
        name: 'fk_call_legs_call', columnNames: ['call_id'], referencedTableName: 'calls', referencedColumnNames: ['id'], onDelete: 'CASCADE',
      })],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('call_legs');
  }
}
