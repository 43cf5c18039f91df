import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

const MODE = { name: 'mode', type: 'varchar', length: '8' } as const;

/**
 * Every party request of cluster mode goes to the owner of the call's server, not only a cold
 * transfer: a warm transfer, an added party (conference) and a consultation's end (complete, back,
 * conference) too. `kind` says which; `mode` is a transfer's alone, `consult_end` a finish's alone.
 * Rows from before were all transfers.
 */
export class PartyRequestKinds1768250000000 implements MigrationInterface {
  name = 'PartyRequestKinds1768250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('party_requests', [
      new TableColumn({ name: 'kind', type: 'varchar', length: '8', default: "'transfer'" }),
      new TableColumn({ name: 'consult_end', type: 'varchar', length: '12', isNullable: true }),
    ]);
    await modeNullable(queryRunner, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Before, a row could only be a transfer: the other kinds' rows have no meaning there.
    await queryRunner.query("DELETE FROM party_requests WHERE kind <> 'transfer'");
    await modeNullable(queryRunner, false);
    await queryRunner.dropColumn('party_requests', 'consult_end');
    await queryRunner.dropColumn('party_requests', 'kind');
  }
}

/**
 * PostgreSQL changes the column in place (typeorm's changeColumn would drop and add it again, losing
 * its values); SQLite cannot, so typeorm copies the table, rows included.
 */
async function modeNullable(queryRunner: QueryRunner, nullable: boolean): Promise<void> {
  if (queryRunner.connection.options.type === 'postgres') {
    await queryRunner.query(`ALTER TABLE party_requests ALTER COLUMN mode ${nullable ? 'DROP' : 'SET'} NOT NULL`);
    return;
  }
  await queryRunner.changeColumn('party_requests', MODE.name, new TableColumn({ ...MODE, isNullable: nullable }));
}
