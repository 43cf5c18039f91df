import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns the initial schema named in camelCase, by table (a frozen list: later entities do not change it). */
const CAMEL_CASE_COLUMNS: Record<string, string[]> = {
  agents: ['telegramId', 'displayName', 'callerId', 'authorizedBy', 'authorizedAt', 'createdAt', 'updatedAt'],
  calls: [
    'agentId', 'agentPhone', 'targetInput', 'callerId', 'agentEndpoint', 'targetEndpoint', 'hangupCause', 'hangupCauseText',
    'endedBy', 'requestedAt', 'agentRingingAt', 'agentAnsweredAt', 'targetRingingAt', 'connectedAt', 'endedAt',
    'telegramChatId', 'statusMessageId',
  ],
  audit_events: ['createdAt'],
};

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * Renames every column to snake_case in place, keeping rows, indexes and the foreign key: SQLite
 * (3.25+) and PostgreSQL both rename a column with the same statement, without copying the table.
 */
export class SnakeCaseColumns1765000000000 implements MigrationInterface {
  name = 'SnakeCaseColumns1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rename(queryRunner, (column) => [column, snake(column)]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rename(queryRunner, (column) => [snake(column), column]);
  }
}

async function rename(queryRunner: QueryRunner, names: (column: string) => [string, string]): Promise<void> {
  const q = (name: string) => queryRunner.connection.driver.escape(name);
  for (const [table, columns] of Object.entries(CAMEL_CASE_COLUMNS)) {
    for (const column of columns) {
      const [from, to] = names(column);
      await queryRunner.query(`ALTER TABLE ${q(table)} RENAME COLUMN ${q(from)} TO ${q(to)}`);
    }
  }
}
