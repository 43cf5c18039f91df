import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** Why a row was ended here, on the row itself, so the agent's history explains the old call. */
export const ENDED_BY_MIGRATION = 'interrupted: ended when one live call per agent became a database rule (the agent had a newer live call)';

/**
 * One live call per agent, kept by the database: two processes on one database can no longer both
 * record a live call for the same agent. Before this rule an agent could have several live rows;
 * the older ones are ended first (as reconciliation ends rows left live), or the index could not be built.
 */
export class CallsOneLivePerAgent1766500000000 implements MigrationInterface {
  name = 'CallsOneLivePerAgent1766500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const older = await queryRunner.query(
      `SELECT id FROM calls WHERE stage <> 'ended' AND EXISTS (
         SELECT 1 FROM calls newer WHERE newer.agent_id = calls.agent_id AND newer.stage <> 'ended'
           AND (newer.requested_at > calls.requested_at OR (newer.requested_at = calls.requested_at AND newer.id > calls.id)))`,
    ) as { id: string }[];
    if (older.length > 0) {
      const { driver } = queryRunner.connection;
      const p = (i: number) => driver.createParameter(`p${i}`, i);
      // Stored as the driver stores every Date column, so the row reads back like any other.
      const endedAt = driver.preparePersistentValue(new Date(), { type: driver.normalizeType({ type: Date }) } as ColumnMetadata);
      const ids = older.map((_, i) => p(i + 2)).join(', ');
      await queryRunner.query(
        `UPDATE calls SET stage = 'ended', outcome = 'interrupted', ended_by = 'app', ended_at = ${p(0)}, detail = ${p(1)} WHERE id IN (${ids})`,
        [endedAt, ENDED_BY_MIGRATION, ...older.map((row) => row.id)],
      );
      process.stderr.write(`${this.name}: ended ${older.length} older live call(s) of agents that had more than one: ${older.map((r) => r.id).join(', ')}\n`);
    }
    await queryRunner.createIndex('calls', new TableIndex({
      name: 'uq_calls_agent_live', columnNames: ['agent_id'], isUnique: true, where: `stage <> 'ended'`,
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('calls', 'uq_calls_agent_live');
  }
}
