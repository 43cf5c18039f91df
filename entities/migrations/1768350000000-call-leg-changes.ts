import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CALL_CHANGES_CHANNEL } from './1768100000000-api-rate-and-call-changes';

/**
 * Cluster mode, on PostgreSQL: a change of a cluster call's legs (a colleague rung for a
 * consultation, answering, leaving, taking the call) is announced on the calls' channel as a change
 * of the call, naming the call's agents as the calls_changed trigger does, so the Mini App's cards
 * on every instance follow who is on the call. Such a change writes only its leg's row, which the
 * calls_changed trigger does not see. A single instance's calls (no server) announce nothing.
 */
export class CallLegChanges1768350000000 implements MigrationInterface {
  name = 'CallLegChanges1768350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query(`
      CREATE FUNCTION callbot_call_leg_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        call RECORD;
      BEGIN
        -- An upsert that rewrites a leg as it was changes nothing anyone sees.
        IF TG_OP = 'UPDATE' AND ROW(OLD.*) IS NOT DISTINCT FROM ROW(NEW.*) THEN
          RETURN NULL;
        END IF;
        SELECT agent_id, on_call_agent_id, server_id INTO call FROM calls WHERE id = NEW.call_id;
        IF NOT FOUND OR call.server_id IS NULL THEN
          RETURN NULL;
        END IF;
        PERFORM pg_notify('${CALL_CHANGES_CHANNEL}', json_build_object(
          'callId', NEW.call_id,
          'agentIds', json_build_array(call.agent_id, call.on_call_agent_id)
        )::text);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER call_legs_changed AFTER INSERT OR UPDATE ON call_legs
      FOR EACH ROW EXECUTE FUNCTION callbot_call_leg_changed()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query('DROP TRIGGER IF EXISTS call_legs_changed ON call_legs');
    await queryRunner.query('DROP FUNCTION IF EXISTS callbot_call_leg_changed()');
  }
}
