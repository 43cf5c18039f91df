import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The PostgreSQL channel on which every change of a cluster call's stage (or of the agent on it) is announced. */
export const CALL_CHANGES_CHANNEL = 'callbot_call_changes';

/**
 * Cluster mode, two things every instance must see alike: the API keys' request counts
 * (api_rate_windows), and, on PostgreSQL, a NOTIFY whenever a cluster call (one with a server) is
 * recorded or changes stage or agent, whichever instance wrote it, so the Mini App's live views on
 * every instance follow every call. A single instance's calls have no server and announce nothing.
 */
export class ApiRateAndCallChanges1768100000000 implements MigrationInterface {
  name = 'ApiRateAndCallChanges1768100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'api_rate_windows',
      columns: [
        { name: 'counter', type: 'varchar', length: '64', isPrimary: true },
        { name: 'window_start', type: 'bigint' },
        { name: 'hits', type: 'integer' },
      ],
    }));
    if (queryRunner.connection.options.type !== 'postgres') return;
    // The payload names the call and its agents, so a listener reads only the rows its viewers follow.
    await queryRunner.query(`
      CREATE FUNCTION callbot_call_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage
           AND OLD.on_call_agent_id IS NOT DISTINCT FROM NEW.on_call_agent_id THEN
          RETURN NULL;
        END IF;
        PERFORM pg_notify('${CALL_CHANGES_CHANNEL}', json_build_object(
          'callId', NEW.id,
          'agentIds', json_build_array(NEW.agent_id, NEW.on_call_agent_id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.on_call_agent_id END)
        )::text);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER calls_changed AFTER INSERT OR UPDATE ON calls
      FOR EACH ROW WHEN (NEW.server_id IS NOT NULL) EXECUTE FUNCTION callbot_call_changed()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS calls_changed ON calls');
      await queryRunner.query('DROP FUNCTION IF EXISTS callbot_call_changed()');
    }
    await queryRunner.dropTable('api_rate_windows');
  }
}
