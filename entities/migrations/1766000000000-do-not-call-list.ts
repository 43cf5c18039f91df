import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The do-not-call list: listings (when, who, why) and numbers. On SQLite the numbers table is
 * created WITHOUT ROWID, so that its bigint primary key is the table's only B-tree rather than an
 * index beside a rowid table (a second copy of every number); TypeORM's schema objects cannot say
 * that, so that one table is written in SQL there. No foreign key from numbers to listings: its
 * per-row check would slow a bulk import, and listings are never deleted.
 */
export class DoNotCallList1766000000000 implements MigrationInterface {
  name = 'DoNotCallList1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { driver } = queryRunner.connection;
    await queryRunner.createTable(new Table({
      name: 'dnc_listings',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'kind', type: 'varchar', length: '8' },
        { name: 'added_by', type: 'varchar', length: '20' },
        { name: 'reason', type: 'varchar', length: '256', default: "''" },
        { name: 'call_id', type: 'varchar', length: '36', isNullable: true },
        { name: 'created_at', type: driver.normalizeType({ type: Date }), default: driver.mappedDataTypes.createDateDefault },
      ],
    }));
    if (queryRunner.connection.options.type === 'sqlite') {
      await queryRunner.query('CREATE TABLE "dnc_numbers" ("number" bigint PRIMARY KEY NOT NULL, "listing_id" integer NOT NULL) WITHOUT ROWID');
    } else {
      await queryRunner.createTable(new Table({
        name: 'dnc_numbers',
        columns: [
          { name: 'number', type: 'bigint', isPrimary: true },
          { name: 'listing_id', type: 'integer' },
        ],
      }));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('dnc_numbers');
    await queryRunner.dropTable('dnc_listings');
  }
}
