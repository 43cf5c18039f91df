import type { DataSource } from 'typeorm';

/** A Call row as an operator reads it from the database (snake_case, as stored). */
export interface CallRowAsStored {
  id: string;
  stage: string;
  outcome: string | null;
  ended_by: string | null;
  server_id: string | null;
  detail: string | null;
  status_message_id: number | null;
}

/** An agent's calls, oldest first, read with plain SQL (PostgreSQL parameters), as the specs of several processes do. */
export function callsOfAgent(db: DataSource, telegramId: string): Promise<CallRowAsStored[]> {
  return db.query(
    `SELECT c.id, c.stage, c.outcome, c.ended_by, c.server_id, c.detail, c.status_message_id FROM calls c JOIN agents a ON a.id = c.agent_id
     WHERE a.telegram_id = $1 ORDER BY c.requested_at`, [telegramId]) as Promise<CallRowAsStored[]>;
}
