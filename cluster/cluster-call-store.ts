import type { DataSource } from 'typeorm';
import type { CallStage, RouteCode } from '../call/call-types';
import type { CallContext, ReturnCallContext } from '../call/call-update';
import { databaseNowMs } from './database-clock';
import type { Fence } from './fenced-update';
import { fencedUpdate } from './fenced-update';
import { returningRows } from './statement-result';
import { CallRowSql } from '../store/call-row-sql';
import { type CallPatch, ONE_LIVE_CALL_PER_AGENT } from '../store/call-store';
import { violatesUniqueIndex } from '../store/unique-violation';

/** The channel every instance listens on: the payload is the id of the server whose owner should look. */
export const CALLS_CHANNEL = 'callbot_calls';

/** The lease that makes an instance the owner of one Asterisk server. */
export function serverLeaseName(serverId: string): string {
  return `asterisk:${serverId}`;
}

/** A Call row as the owner of its server needs it to run or take over the call. */
export interface ServerCallRow {
  id: string;
  /** Who calls whom, as the call's observers see it. */
  context: CallContext;
  agentEndpoint: string;
  targetEndpoint: string;
  stage: CallStage;
  requestedAt: Date;
  agentRingingAt: Date | null;
  agentAnsweredAt: Date | null;
  targetRingingAt: Date | null;
  connectedAt: Date | null;
  telegramChatId: string | null;
  statusMessageId: number | null;
  cancelRequestedBy: 'agent' | 'admin' | 'system' | null;
  /** The recording the call ran (call/recording.ts), so a take-over carries it on. */
  recordingName: string | null;
  recordingStartedAt: Date | null;
  recordingPausedMs: number | null;
  recordingPausedAt: Date | null;
  /** A return call's customer channel (Asterisk's id); null for a call callbot placed. */
  customerChannelId?: string | null;
  /** The agent on the call now (a return call still ringing: the one rung now); null once none is. */
  onCallAgentId?: number | null;
}

/** A server as every instance sees it: whether an owner holds it and says its ARI is connected, and its live calls. */
export interface ServerView {
  id: string;
  owned: boolean;
  connected: boolean;
  liveCalls: number;
}

type Row = Record<string, unknown>;

/**
 * The statements by which instances hand calls to each other through PostgreSQL: a request is a
 * Call row with its server and no owner token yet; the server's owner claims it under its lease's
 * fencing token, so a paused former owner's claim or state write changes nothing. NOTIFY only wakes
 * the owner up: the rows are the queue, and an owner also looks every second in case a
 * notification was missed.
 */
export class ClusterCallStore {
  private readonly now: string;
  private readonly writes: CallRowSql;

  constructor(private readonly dataSource: DataSource) {
    this.now = databaseNowMs(dataSource);
    this.writes = new CallRowSql(dataSource);
  }

  /**
   * The owner of the call's server writes its changes only while it still holds the server's lease:
   * false when the fence is no longer the lease's, and nothing was written.
   */
  async recordFencedTransition(id: string, patch: CallPatch, fence: Fence): Promise<boolean> {
    const update = this.writes.update(id, patch);
    if (!update) return true;
    try {
      return (await fencedUpdate(this.dataSource, update.sql, update.parameters, fence)) > 0;
    } catch (err) {
      // A return call's next agent went on another call before their claim (cluster-return-calls.ts):
      // they are not rung, and the rest of the change is still written.
      if (patch.onCallAgentId === undefined || !violatesUniqueIndex(err, ONE_LIVE_CALL_PER_AGENT)) throw err;
      const { onCallAgentId: _busy, ...rest } = patch;
      return this.recordFencedTransition(id, rest, fence);
    }
  }

  /** Wakes the owner of `serverId` (a request to start, or a cancel). */
  async notify(serverId: string): Promise<void> {
    if (this.dataSource.options.type !== 'postgres') return;
    await this.dataSource.query('SELECT pg_notify($1, $2)', [CALLS_CHANNEL, serverId]);
  }

  /** Takes the server's waiting requests for this owner; none when its fence is no longer the lease's. */
  async claimRequests(serverId: string, fence: Fence): Promise<ServerCallRow[]> {
    const p = this.parameter;
    const claimed = await returningRows(this.dataSource,
      `UPDATE calls SET owner_token = CAST(${p(0)} AS bigint)
       WHERE server_id = ${p(1)} AND stage = 'requested' AND owner_token IS NULL
         AND (SELECT token FROM leases WHERE name = ${p(2)} AND holder = ${p(3)}${this.forShare}) = CAST(${p(4)} AS bigint)
       RETURNING id`,
      [String(fence.token), serverId, fence.name, fence.holder, String(fence.token)]);
    if (claimed.length === 0) return [];
    return this.rows(`c.id IN (${claimed.map((_, i) => p(i)).join(', ')})`, claimed.map((r) => String(r.id)));
  }

  /** The server's live calls that an owner started: the ones a new owner takes over. */
  startedCalls(serverId: string): Promise<ServerCallRow[]> {
    return this.rows(`c.server_id = ${this.parameter(0)} AND c.stage <> 'ended' AND c.owner_token IS NOT NULL`, [serverId]);
  }

  /** The live call the agent is on now (placed, or taken by transfer) on any server; null when there is none. */
  async liveCallOfAgent(agentId: number): Promise<ServerCallRow | null> {
    return (await this.rows(`c.on_call_agent_id = ${this.parameter(0)} AND c.stage <> 'ended' AND c.server_id IS NOT NULL`, [agentId]))[0] ?? null;
  }

  /** The server's live calls someone on another instance asked to end. */
  cancelRequests(serverId: string): Promise<ServerCallRow[]> {
    return this.rows(`c.server_id = ${this.parameter(0)} AND c.stage <> 'ended' AND c.cancel_requested_by IS NOT NULL`, [serverId]);
  }

  /** Asks the owner of the call's server to end it; the server's id, or null when the call is not live. */
  async requestCancel(callId: string, by: 'agent' | 'admin' | 'system'): Promise<string | null> {
    const p = this.parameter;
    const rows = await returningRows(this.dataSource,
      `UPDATE calls SET cancel_requested_by = ${p(0)} WHERE id = ${p(1)} AND stage <> 'ended' AND server_id IS NOT NULL RETURNING server_id`,
      [by, callId]);
    const serverId = rows[0]?.server_id;
    if (typeof serverId !== 'string') return null;
    await this.notify(serverId);
    return serverId;
  }

  /** A live call of any server, by id; null once ended. */
  async liveCall(callId: string): Promise<ServerCallRow | null> {
    return (await this.rows(`c.id = ${this.parameter(0)} AND c.stage <> 'ended'`, [callId]))[0] ?? null;
  }

  /** Every live call of every server (admin listings). */
  liveCalls(): Promise<ServerCallRow[]> {
    return this.rows(`c.stage <> 'ended' AND c.server_id IS NOT NULL`, []);
  }

  /** Live calls of every server (waiting requests included), in all and per route. */
  async liveCounts(): Promise<{ total: number; byRoute: Partial<Record<RouteCode, number>> }> {
    const rows = await this.dataSource.query(
      `SELECT route, COUNT(*) AS live FROM calls WHERE stage <> 'ended' AND server_id IS NOT NULL GROUP BY route`) as Row[];
    const byRoute: Partial<Record<RouteCode, number>> = {};
    let total = 0;
    for (const row of rows) {
      const live = Number(row.live);
      total += live;
      if (row.route === 'M' || row.route === 'D') byRoute[row.route] = live;
    }
    return { total, byRoute };
  }

  /**
   * Records whether the owner's ARI is connected; false when the fence is no longer the lease's.
   * `changed_at` moves only when the state does: an owner that finds the server as unreachable as
   * its predecessor did keeps the time it was first found so (unreachableForMs).
   */
  async setConnected(serverId: string, connected: boolean, fence: Fence): Promise<boolean> {
    const p = this.parameter;
    // The first row of a server is written as it comes; every change after it is fenced.
    const changed = await fencedUpdate(this.dataSource,
      `INSERT INTO asterisk_servers (id, connected, changed_at) VALUES (${p(0)}, ${p(1)}, ${this.now})
       ON CONFLICT (id) DO UPDATE SET connected = excluded.connected,
         changed_at = CASE WHEN asterisk_servers.connected = excluded.connected THEN asterisk_servers.changed_at ELSE excluded.changed_at END
       WHERE TRUE`,
      [serverId, connected], fence);
    return changed > 0;
  }

  /**
   * How long the server's owners have found its ARI unreachable, across changes of owner, by the
   * database's clock; null while the last owner to say found it connected (or none has said).
   */
  async unreachableForMs(serverId: string): Promise<number | null> {
    const rows = await this.dataSource.query(
      `SELECT ${this.now} - changed_at AS down_for FROM asterisk_servers WHERE id = ${this.parameter(0)} AND connected = ${this.parameter(1)}`,
      [serverId, false]) as Row[];
    const row = rows[0];
    return row ? Number(row.down_for) : null;
  }

  /**
   * Every configured server as the instances see it: owned while its lease is live, connected
   * while its owner says so, and its live calls (waiting requests included).
   */
  async servers(serverIds: readonly string[]): Promise<ServerView[]> {
    if (serverIds.length === 0) return [];
    const p = this.parameter;
    const list = serverIds.map((_, i) => p(i)).join(', ');
    const [states, counts] = await Promise.all([
      this.dataSource.query(
        `SELECT s.id, s.connected, CASE WHEN l.expires_at > ${this.now} THEN 1 ELSE 0 END AS owned
         FROM asterisk_servers s LEFT JOIN leases l ON l.name = ${this.concatLeaseName('s.id')} WHERE s.id IN (${list})`,
        [...serverIds]) as Promise<Row[]>,
      this.dataSource.query(
        `SELECT server_id, COUNT(*) AS live FROM calls WHERE stage <> 'ended' AND server_id IN (${list}) GROUP BY server_id`,
        [...serverIds]) as Promise<Row[]>,
    ]);
    return serverIds.map((id) => {
      const state = states.find((s) => s.id === id);
      const count = counts.find((c) => c.server_id === id);
      const owned = state !== undefined && Number(state.owned) === 1;
      return { id, owned, connected: owned && (state.connected === true || Number(state.connected) === 1), liveCalls: Number(count?.live ?? 0) };
    });
  }

  private async rows(where: string, parameters: unknown[]): Promise<ServerCallRow[]> {
    const rows = await this.dataSource.query(
      `SELECT c.id, c.agent_id, a.telegram_id, c.agent_phone, c.target, c.route, c.caller_id, c.agent_endpoint, c.target_endpoint,
              c.stage, c.requested_at, c.agent_ringing_at, c.agent_answered_at, c.target_ringing_at, c.connected_at,
              c.telegram_chat_id, c.status_message_id, c.cancel_requested_by,
              c.recording_name, c.recording_started_at, c.recording_paused_ms, c.recording_paused_at,
              c.customer_channel_id, c.on_call_agent_id, c.returns_call_id, r.agent_id AS returns_agent_id, r.requested_at AS returns_requested_at,
              r.disposition AS returns_disposition, r.note AS returns_note
       FROM calls c JOIN agents a ON a.id = c.agent_id LEFT JOIN calls r ON r.id = c.returns_call_id WHERE ${where} ORDER BY c.requested_at`,
      parameters) as Row[];
    return rows.map(toServerCallRow);
  }

  private concatLeaseName(column: string): string {
    return `'asterisk:' || ${column}`;
  }

  private get forShare(): string {
    return this.dataSource.options.type === 'postgres' ? ' FOR SHARE' : '';
  }

  private readonly parameter = (index: number): string => this.dataSource.driver.createParameter(`p${index}`, index);
}

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));

function toServerCallRow(r: Row): ServerCallRow {
  const id = String(r.id);
  return {
    id,
    context: {
      callId: id,
      agentId: Number(r.agent_id),
      agentTelegramId: String(r.telegram_id),
      agentPhone: String(r.agent_phone),
      target: String(r.target),
      route: r.route as RouteCode,
      callerId: r.caller_id === null ? null : String(r.caller_id),
      ...(returnCallOf(r) ? { returnCall: returnCallOf(r)! } : {}),
    },
    agentEndpoint: String(r.agent_endpoint),
    targetEndpoint: String(r.target_endpoint),
    stage: r.stage as CallStage,
    requestedAt: date(r.requested_at)!,
    agentRingingAt: date(r.agent_ringing_at),
    agentAnsweredAt: date(r.agent_answered_at),
    targetRingingAt: date(r.target_ringing_at),
    connectedAt: date(r.connected_at),
    telegramChatId: r.telegram_chat_id === null ? null : String(r.telegram_chat_id),
    statusMessageId: r.status_message_id === null ? null : Number(r.status_message_id),
    cancelRequestedBy: (r.cancel_requested_by ?? null) as ServerCallRow['cancelRequestedBy'],
    recordingName: r.recording_name === null || r.recording_name === undefined ? null : String(r.recording_name),
    recordingStartedAt: date(r.recording_started_at),
    recordingPausedMs: r.recording_paused_ms === null || r.recording_paused_ms === undefined ? null : Number(r.recording_paused_ms),
    recordingPausedAt: date(r.recording_paused_at),
    customerChannelId: r.customer_channel_id === null || r.customer_channel_id === undefined ? null : String(r.customer_channel_id),
    onCallAgentId: r.on_call_agent_id === null || r.on_call_agent_id === undefined ? null : Number(r.on_call_agent_id),
  };
}

/** A return call's context as its row and the earlier call it answers say (the agent who made that one is told of a missed one). */
function returnCallOf(r: Row): ReturnCallContext | undefined {
  if (r.customer_channel_id === null || r.customer_channel_id === undefined) return undefined;
  const earlierAt = date(r.returns_requested_at);
  return {
    customerNumber: String(r.target), calledNumber: r.caller_id === null ? '' : String(r.caller_id),
    ...(r.returns_call_id !== null && r.returns_agent_id !== null && earlierAt ? {
      lastCall: {
        callId: String(r.returns_call_id), agentId: Number(r.returns_agent_id), at: earlierAt.getTime(),
        disposition: r.returns_disposition === null ? null : String(r.returns_disposition), note: r.returns_note === null ? null : String(r.returns_note),
      },
    } : {}),
  };
}
