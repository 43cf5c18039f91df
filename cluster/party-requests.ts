import type { DataSource } from 'typeorm';
import type { ConsultEnd, PartyTarget, TransferMode } from '../call/call-types';
import type { PartyAnswer, PartyRefusal, PartyRequester } from '../engine/call-parties';
import { CALLS_CHANNEL } from './cluster-call-store';
import { databaseNowMs } from './database-clock';
import { type Fence, claimWaitingRequests, fencedUpdate } from './fenced-update';
import { returningRows } from './statement-result';

/** What is asked of a call's parties: a transfer (cold or warm), a party added (conference), or a consultation's end. */
export type PartyAsk =
  | { kind: 'transfer'; to: PartyTarget; mode: TransferMode }
  | { kind: 'add'; to: PartyTarget }
  | { kind: 'finish'; how: ConsultEnd };

/** The owner's answer to an ask: a transfer's or an added party's, or a consultation end's. */
export type PartyRequestAnswer = PartyAnswer | { ok: true } | { ok: false; refusal: PartyRefusal };

/** A party request asked for on an instance that does not run the call, as its owner reads it. */
export interface PartyRequestRow {
  id: string;
  callId: string;
  by: PartyRequester;
  ask: PartyAsk;
  /** How long ago it was asked, by the database's clock. */
  waitedMs: number;
}

type Row = Record<string, unknown>;

/**
 * The statements by which a party request asked for on one instance reaches the owner of the call's
 * server, as a supervision's request does (supervision-requests.ts): the row is the queue, a
 * notification on the calls channel wakes the owner, its poll finds what a missed one left. The
 * owner claims a request once under its lease and writes its answer fenced by it; the instance
 * that asked reads the answer from the row.
 */
export class PartyRequests {
  private readonly now: string;

  constructor(private readonly dataSource: DataSource) {
    this.now = databaseNowMs(dataSource);
  }

  /** Records the request on the server the call runs on, as its row says; false when the call is not live. */
  async request(id: string, callId: string, by: PartyRequester, ask: PartyAsk): Promise<boolean> {
    const p = this.parameter;
    const to = ask.kind === 'finish' ? undefined : ask.to;
    const rows = await returningRows(this.dataSource,
      `INSERT INTO party_requests (id, call_id, server_id, requester_telegram_id, requester_agent_id, requester_is_admin, kind, mode, consult_end, target_agent_id, target_number, stage, requested_at)
       SELECT ${p(0)}, c.id, c.server_id, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, 'requested', ${this.now}
       FROM calls c WHERE c.id = ${p(9)} AND c.stage <> 'ended' AND c.server_id IS NOT NULL
       RETURNING server_id`,
      [
        id, by.telegramId, by.agentId, by.isAdmin, ask.kind, ask.kind === 'transfer' ? ask.mode : null, ask.kind === 'finish' ? ask.how : null,
        to?.kind === 'agent' ? to.agentId : null, to?.kind === 'number' ? to.number.slice(0, 64) : null, callId,
      ]);
    const serverId = rows[0]?.server_id;
    if (typeof serverId !== 'string') return false;
    if (this.dataSource.options.type === 'postgres') await this.dataSource.query('SELECT pg_notify($1, $2)', [CALLS_CHANNEL, serverId]);
    return true;
  }

  /** The owner's answer once written; 'waiting' before, 'claimed' once an owner took it and has not answered yet. */
  async answerOf(id: string): Promise<PartyRequestAnswer | 'waiting' | 'claimed'> {
    const rows = await this.dataSource.query(`SELECT stage, answer, owner_token FROM party_requests WHERE id = ${this.parameter(0)}`, [id]) as Row[];
    const row = rows[0];
    if (!row) return 'waiting';
    if (row.stage === 'answered' && typeof row.answer === 'string') return JSON.parse(row.answer, withDates) as PartyRequestAnswer;
    return row.owner_token === null || row.owner_token === undefined ? 'waiting' : 'claimed';
  }

  /** Gives up a request no owner claimed: true when it was still unclaimed (no owner will carry it out now). */
  async withdraw(id: string): Promise<boolean> {
    const p = this.parameter;
    const rows = await returningRows(this.dataSource,
      `UPDATE party_requests SET stage = 'withdrawn', answered_at = ${this.now} WHERE id = ${p(0)} AND stage = 'requested' AND owner_token IS NULL RETURNING id`, [id]);
    return rows.length > 0;
  }

  /** Takes the server's waiting requests for this owner; none when its fence is no longer the lease's. */
  async claim(serverId: string, fence: Fence): Promise<PartyRequestRow[]> {
    const rows = await claimWaitingRequests(this.dataSource, 'party_requests', serverId, fence,
      `id, call_id, requester_telegram_id, requester_agent_id, requester_is_admin, kind, mode, consult_end, target_agent_id, target_number, ${this.now} - requested_at AS waited_ms`);
    return rows.map(toRow);
  }

  /** Writes the owner's answer under its lease. */
  async answer(id: string, answer: PartyRequestAnswer, fence: Fence): Promise<void> {
    const p = this.parameter;
    await fencedUpdate(this.dataSource,
      `UPDATE party_requests SET stage = 'answered', answer = ${p(0)}, answered_at = ${this.now} WHERE id = ${p(1)} AND stage = 'requested'`,
      [JSON.stringify(answer), id], fence);
  }

  private readonly parameter = (index: number): string => this.dataSource.driver.createParameter(`p${index}`, index);

  /**
   * Deletes the requests last changed more than `olderThanMs` ago: answered, withdrawn, or never
   * answered (its requester stopped waiting long before). Returns how many.
   */
  async prune(olderThanMs: number): Promise<number> {
    const rows = await returningRows(this.dataSource,
      `DELETE FROM party_requests WHERE COALESCE(answered_at, requested_at) < ${this.now} - ${this.parameter(0)} RETURNING id`, [olderThanMs]);
    return rows.length;
  }
}

/** A rule's refusal carries dates (do_not_call's `since`, disposition_required's `endedAt`): JSON wrote them as strings. */
function withDates(key: string, value: unknown): unknown {
  return (key === 'since' || key === 'endedAt') && typeof value === 'string' ? new Date(value) : value;
}

function toRow(r: Row): PartyRequestRow {
  const agentId = r.requester_agent_id === null || r.requester_agent_id === undefined ? null : Number(r.requester_agent_id);
  const to: PartyTarget = r.target_agent_id === null || r.target_agent_id === undefined
    ? { kind: 'number', number: String(r.target_number ?? '') }
    : { kind: 'agent', agentId: Number(r.target_agent_id) };
  return {
    id: String(r.id), callId: String(r.call_id), ask: askOf(r, to), waitedMs: Number(r.waited_ms ?? 0),
    by: { agentId, isAdmin: r.requester_is_admin === true || Number(r.requester_is_admin) === 1, telegramId: String(r.requester_telegram_id) },
  };
}

/** A row's ask; a row from before the kinds (migration 1768250000000) is a transfer. */
function askOf(r: Row, to: PartyTarget): PartyAsk {
  if (r.kind === 'add') return { kind: 'add', to };
  if (r.kind === 'finish') return { kind: 'finish', how: r.consult_end as ConsultEnd };
  return { kind: 'transfer', to, mode: r.mode as TransferMode };
}
