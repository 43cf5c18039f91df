import type { DataSource } from 'typeorm';
import type { SupervisionMode } from '../call/supervision';
import type { SupervisionRequestStage } from '../entities';
import { CALLS_CHANNEL } from './cluster-call-store';
import { databaseNowMs } from './database-clock';
import { type Fence, claimWaitingRequests, fencedUpdate } from './fenced-update';
import { affectedRows, returningRows } from './statement-result';

/** A supervision request as the instances read it (entities/supervision-request.entity.ts). */
export interface SupervisionRequestRow {
  id: string;
  callId: string;
  serverId: string;
  supervisorTelegramId: string;
  chatId: string;
  messageId: number | null;
  agentLabel: string;
  /** The customer's number, whole, from the call's row: the bot masks it. */
  customer: string;
  stage: SupervisionRequestStage;
  mode: SupervisionMode;
  modes: readonly SupervisionMode[];
  requestedMode: SupervisionMode | null;
  leaveRequested: boolean;
  /** An owner has claimed it (it is no longer waiting for one). */
  claimed: boolean;
  requestedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
}

export interface NewSupervisionRequest {
  id: string;
  callId: string;
  supervisorTelegramId: string;
  chatId: string;
  agentLabel: string;
  mode: SupervisionMode;
}

/** What the owner writes as the supervision changes (answered, mode switched). */
export interface SupervisionProgress {
  stage: 'ringing' | 'active';
  mode: SupervisionMode;
  modes: readonly SupervisionMode[];
  answeredAt?: number;
}

type Row = Record<string, unknown>;

/**
 * The statements by which a supervision asked for on one instance reaches the owner of the call's
 * server, like a call's request and cancel (cluster-call-store.ts): the row is the queue, a
 * notification on the calls channel (the server's id) wakes the owner, and the owner's one-second
 * poll finds what a missed notification left. The owner claims a request once under its lease's
 * token; its writes, the end above all, are fenced by that lease, so a former owner changes nothing.
 */
export class SupervisionRequests {
  private readonly now: string;

  constructor(private readonly dataSource: DataSource) {
    this.now = databaseNowMs(dataSource);
  }

  /**
   * Records a request on the server the call runs on, as the call's row says: 'recorded', 'no_such_call'
   * when the call is no longer live, or 'already_supervising' when the supervisor already has a
   * supervision that has not ended (on any instance: the database's unique index says so).
   */
  async request(request: NewSupervisionRequest): Promise<'recorded' | 'no_such_call' | 'already_supervising'> {
    const p = this.parameter;
    let rows: Row[];
    try {
      rows = await returningRows(this.dataSource,
        `INSERT INTO supervision_requests (id, call_id, server_id, supervisor_telegram_id, chat_id, agent_label, stage, mode, modes, leave_requested, requested_at)
         SELECT ${p(0)}, c.id, c.server_id, ${p(1)}, ${p(2)}, ${p(3)}, 'requested', ${p(4)}, '', ${p(5)}, ${this.now}
         FROM calls c WHERE c.id = ${p(6)} AND c.stage <> 'ended' AND c.server_id IS NOT NULL
         RETURNING server_id`,
        [request.id, request.supervisorTelegramId, request.chatId, request.agentLabel.slice(0, 100), request.mode, false, request.callId]);
    } catch (err) {
      if (await this.liveOf(request.supervisorTelegramId)) return 'already_supervising';
      throw new Error(`recording the supervision request of ${request.supervisorTelegramId} failed`, { cause: err });
    }
    const serverId = rows[0]?.server_id;
    if (typeof serverId !== 'string') return 'no_such_call';
    await this.notify(serverId);
    return 'recorded';
  }

  /** The supervisor's supervision that has not ended, if any. */
  async liveOf(supervisorTelegramId: string): Promise<SupervisionRequestRow | null> {
    return (await this.rows(`s.supervisor_telegram_id = ${this.parameter(0)} AND s.stage <> 'ended'`, [supervisorTelegramId]))[0] ?? null;
  }

  /**
   * Ends a request no owner has claimed for `olderThanMs` (its server has none that can serve it
   * now), so that it no longer holds its supervisor's one supervision; nothing was rung, so nothing
   * is audited. False when an owner claimed it meanwhile or it is younger.
   */
  async expireUnclaimed(id: string, olderThanMs: number): Promise<boolean> {
    const p = this.parameter;
    const changed = await returningRows(this.dataSource,
      `UPDATE supervision_requests SET stage = 'ended', end_reason = 'stale', ended_at = ${this.now}
       WHERE id = ${p(0)} AND stage = 'requested' AND owner_token IS NULL AND requested_at < ${this.now} - ${p(1)}
       RETURNING id`,
      [id, olderThanMs]);
    return changed.length > 0;
  }

  async byId(id: string): Promise<SupervisionRequestRow | null> {
    return (await this.rows(`s.id = ${this.parameter(0)}`, [id]))[0] ?? null;
  }

  /** Takes the server's waiting requests for this owner; none when its fence is no longer the lease's. */
  async claim(serverId: string, fence: Fence): Promise<SupervisionRequestRow[]> {
    const p = this.parameter;
    const claimed = await claimWaitingRequests(this.dataSource, 'supervision_requests', serverId, fence, 'id');
    if (claimed.length === 0) return [];
    return this.rows(`s.id IN (${claimed.map((_, i) => p(i)).join(', ')})`, claimed.map((r) => String(r.id)));
  }

  /** The server's supervisions not ended with a mode switch or a Leave asked for. */
  asked(serverId: string): Promise<SupervisionRequestRow[]> {
    return this.rows(
      `s.server_id = ${this.parameter(0)} AND s.stage <> 'ended' AND (s.requested_mode IS NOT NULL OR s.leave_requested = ${this.parameter(1)})`,
      [serverId, true]);
  }

  /** The server's supervisions not ended (a new owner ends the ones it does not run). */
  live(serverId: string): Promise<SupervisionRequestRow[]> {
    return this.rows(`s.server_id = ${this.parameter(0)} AND s.stage <> 'ended'`, [serverId]);
  }

  /** Asks the owner for a mode switch; false when the supervision is not the supervisor's, not on, or in that mode already. */
  async askMode(id: string, supervisorTelegramId: string, mode: SupervisionMode): Promise<boolean> {
    const p = this.parameter;
    return this.ask(`requested_mode = ${p(0)} WHERE id = ${p(1)} AND supervisor_telegram_id = ${p(2)} AND stage = 'active' AND mode <> ${p(3)}`,
      [mode, id, supervisorTelegramId, mode]);
  }

  /** Asks the owner to end the supervision; false when it is not the supervisor's or has ended. */
  askLeave(id: string, supervisorTelegramId: string): Promise<boolean> {
    const p = this.parameter;
    return this.ask(`leave_requested = ${p(0)} WHERE id = ${p(1)} AND supervisor_telegram_id = ${p(2)} AND stage <> 'ended'`, [true, id, supervisorTelegramId]);
  }

  /** The owner has carried out the switch to `mode` (a later one asked meanwhile stays). */
  async switched(id: string, mode: SupervisionMode, fence: Fence): Promise<void> {
    const p = this.parameter;
    await fencedUpdate(this.dataSource, `UPDATE supervision_requests SET requested_mode = NULL WHERE id = ${p(0)} AND requested_mode = ${p(1)}`, [id, mode], fence);
  }

  async messageSent(id: string, messageId: number, fence: Fence): Promise<void> {
    const p = this.parameter;
    await fencedUpdate(this.dataSource, `UPDATE supervision_requests SET message_id = ${p(0)} WHERE id = ${p(1)}`, [messageId, id], fence);
  }

  async progressed(id: string, progress: SupervisionProgress, fence: Fence): Promise<void> {
    const p = this.parameter;
    await fencedUpdate(this.dataSource,
      `UPDATE supervision_requests SET stage = ${p(0)}, mode = ${p(1)}, modes = ${p(2)}, answered_at = COALESCE(answered_at, CAST(${p(3)} AS bigint))
       WHERE id = ${p(4)} AND stage <> 'ended'`,
      [progress.stage, progress.mode, progress.modes.join('>'), progress.answeredAt === undefined ? null : String(progress.answeredAt), id], fence);
  }

  /**
   * Ends the supervision under the owner's lease: true for the one ending that writes it (and so
   * audits it), false when it had ended already or the lease is no longer this owner's.
   */
  async end(id: string, end: { reason: string; at: number; modes?: readonly SupervisionMode[] }, fence: Fence): Promise<boolean> {
    const p = this.parameter;
    const modes = end.modes ? `, modes = ${p(3)}` : '';
    const changed = await fencedUpdate(this.dataSource,
      `UPDATE supervision_requests SET stage = 'ended', end_reason = ${p(0)}, ended_at = CAST(${p(1)} AS bigint)${modes} WHERE id = ${p(2)} AND stage <> 'ended'`,
      [end.reason, String(end.at), id, ...(end.modes ? [end.modes.join('>')] : [])], fence);
    return changed > 0;
  }

  /** Wakes the owner of `serverId`. */
  private async notify(serverId: string): Promise<void> {
    if (this.dataSource.options.type !== 'postgres') return;
    await this.dataSource.query('SELECT pg_notify($1, $2)', [CALLS_CHANNEL, serverId]);
  }

  private async ask(set: string, parameters: unknown[]): Promise<boolean> {
    const rows = await returningRows(this.dataSource, `UPDATE supervision_requests SET ${set} RETURNING server_id`, parameters);
    const serverId = rows[0]?.server_id;
    if (typeof serverId !== 'string') return false;
    await this.notify(serverId);
    return true;
  }

  private async rows(where: string, parameters: unknown[]): Promise<SupervisionRequestRow[]> {
    const rows = await this.dataSource.query(
      `SELECT s.id, s.call_id, s.server_id, s.supervisor_telegram_id, s.chat_id, s.message_id, s.agent_label, c.target, s.stage, s.mode, s.modes,
              s.requested_mode, s.leave_requested, s.owner_token, s.requested_at, s.answered_at, s.ended_at, s.end_reason
       FROM supervision_requests s JOIN calls c ON c.id = s.call_id WHERE ${where} ORDER BY s.requested_at`,
      parameters) as Row[];
    return rows.map(toRow);
  }

  private readonly parameter = (index: number): string => this.dataSource.driver.createParameter(`p${index}`, index);

  /**
   * Deletes the supervisions ended more than `olderThanMs` ago, and requests no owner claimed in
   * that time (nothing was rung, so there is no end to audit). A claimed one that never ended is
   * kept: its end is audited by the owner that ends it. Returns how many.
   */
  async prune(olderThanMs: number): Promise<number> {
    const p = this.parameter;
    return affectedRows(this.dataSource,
      `DELETE FROM supervision_requests
       WHERE (stage = 'ended' AND ended_at < ${this.now} - ${p(0)})
          OR (stage = 'requested' AND owner_token IS NULL AND requested_at < ${this.now} - ${p(1)})`,
      [olderThanMs, olderThanMs]);
  }
}

const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRow(r: Row): SupervisionRequestRow {
  const modes = String(r.modes ?? '');
  return {
    id: String(r.id), callId: String(r.call_id), serverId: String(r.server_id), supervisorTelegramId: String(r.supervisor_telegram_id),
    chatId: String(r.chat_id), messageId: r.message_id === null || r.message_id === undefined ? null : Number(r.message_id),
    agentLabel: String(r.agent_label), customer: String(r.target), stage: r.stage as SupervisionRequestStage, mode: r.mode as SupervisionMode,
    modes: modes === '' ? [] : modes.split('>') as SupervisionMode[],
    requestedMode: (r.requested_mode ?? null) as SupervisionMode | null,
    leaveRequested: r.leave_requested === true || Number(r.leave_requested) === 1,
    claimed: r.owner_token !== null && r.owner_token !== undefined,
    requestedAt: Number(r.requested_at), answeredAt: ms(r.answered_at), endedAt: ms(r.ended_at), endReason: (r.end_reason ?? null) as string | null,
  };
}
