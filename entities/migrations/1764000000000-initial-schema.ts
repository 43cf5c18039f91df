import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Written with TypeORM's schema objects rather than SQL so the same migration runs on SQLite and
 * PostgreSQL; timestamp columns take whatever type each driver maps `Date` to, which is exactly what
 * the entities declare (a spec checks that entities and migrations never drift apart).
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { driver } = queryRunner.connection;
    const time = driver.normalizeType({ type: Date });
    const now = driver.mappedDataTypes.createDateDefault;
    const text = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions =>
      ({ name, type: 'varchar', length: String(length), ...extra });
    const optionalText = (name: string, length: number) => text(name, length, { isNullable: true });
    const at = (name: string, isNullable = true): TableColumnOptions => ({ name, type: time, isNullable });
    const createdAt: TableColumnOptions = { name: 'createdAt', type: time, default: now };
    const serial: TableColumnOptions = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };

    await queryRunner.createTable(new Table({
      name: 'agents',
      columns: [
        serial,
        text('telegramId', 20),
        optionalText('username', 64),
        text('displayName', 128, { default: "''" }),
        optionalText('phone', 16),
        optionalText('callerId', 16),
        optionalText('route', 1),
        text('status', 8, { default: "'pending'" }),
        optionalText('authorizedBy', 20),
        at('authorizedAt'),
        createdAt,
        { name: 'updatedAt', type: time, default: driver.mappedDataTypes.updateDateDefault },
      ],
      indices: [new TableIndex({ name: 'uq_agents_telegram_id', columnNames: ['telegramId'], isUnique: true })],
    }));

    await queryRunner.createTable(new Table({
      name: 'calls',
      columns: [
        text('id', 36, { isPrimary: true }),
        { name: 'agentId', type: 'integer' },
        optionalText('agentPhone', 16),
        text('targetInput', 64),
        optionalText('target', 16),
        optionalText('callerId', 16),
        optionalText('route', 1),
        optionalText('agentEndpoint', 128),
        optionalText('targetEndpoint', 128),
        text('stage', 16),
        optionalText('outcome', 32),
        optionalText('detail', 512),
        { name: 'hangupCause', type: 'integer', isNullable: true },
        optionalText('hangupCauseText', 64),
        optionalText('endedBy', 8),
        at('requestedAt', false),
        at('agentRingingAt'),
        at('agentAnsweredAt'),
        at('targetRingingAt'),
        at('connectedAt'),
        at('endedAt'),
        optionalText('telegramChatId', 20),
        { name: 'statusMessageId', type: 'integer', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'ix_calls_agent_requested', columnNames: ['agentId', 'requestedAt'] }),
        new TableIndex({ name: 'ix_calls_stage', columnNames: ['stage'] }),
      ],
      foreignKeys: [new TableForeignKey({
        name: 'fk_calls_agent', columnNames: ['agentId'], referencedTableName: 'agents', referencedColumnNames: ['id'], onDelete: 'RESTRICT',
      })],
    }));

    await queryRunner.createTable(new Table({
      name: 'audit_events',
      columns: [
        serial,
        text('actor', 20),
        text('action', 32),
        optionalText('subject', 64),
        text('details', 1024, { default: "''" }),
        createdAt,
      ],
      indices: [new TableIndex({ name: 'ix_audit_events_created', columnNames: ['createdAt'] })],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_events');
    await queryRunner.dropTable('calls');
    await queryRunner.dropTable('agents');
  }
}
