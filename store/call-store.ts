import { DataSource, type FindOptionsWhere, In, IsNull, MoreThan, MoreThanOrEqual, Not, Or, type QueryRunner, Raw, Repository } from 'typeorm';
import { Call, CallLeg } from '../entities';
import { LIVE_STAGES } from '../call/call-types';
import { CallRowSql, type CallRowQuery } from './call-row-sql';
import { runWrite } from './sqlite-connection';
import { AgentHasLiveCall } from '../call/agent-has-live-call';
import { LimitReached } from '../call/limit-reached';
import type { RouteCode } from '../call/call-types';
import { violatesUniqueIndex } from './unique-violation';

/** The index keeping one live call per agent on the line (entities/call.entity.ts). */
export const ONE_LIVE_CALL_PER_AGENT = { name: 'uq_calls_on_call_agent_live', table: 'calls', columns: ['on_call_agent_id'] } as const;

export type NewCall = Pick<Call, 'id' | 'agentId' | 'targetInput' | 'stage' | 'requestedAt'> & Partial<Call>;

/** The global limits a cluster's recording checks (null: that one is off). */
export interface PlacementLimits {
  maxConcurrent: number;
  routeMax: number | null;
  numberPerDay: number | null;
  numberPer7Days: number | null;
}

/** The advisory lock every recording of a call takes on PostgreSQL ("plac"): a cluster's, or a single instance's decision. */
const PLACEMENT_LOCK = 0x706c6163;
const DAY_MS = 24 * 60 * 60 * 1000;
export type CallPatch = Partial<Omit<Call, 'id' | 'agentId' | 'agent'>>;
/** The earlier call a return call answers, read with it (engine/call-engine-ports.ts EarlierCallOfRow). */
type EarlierCall = Pick<Call, 'agentId' | 'requestedAt' | 'disposition' | 'note'>;

/** The Call rows: written at the first step of every request and at every transition after it. */
export class CallStore {
  private readonly calls: Repository<Call>;
  private readonly writes: CallRowSql;

  constructor(private readonly dataSource: DataSource) {
    this.calls = dataSource.getRepository(Call);
    this.writes = new CallRowSql(dataSource);
  }

  /**
   * One INSERT: the id is new by construction (save() would SELECT it first, in a transaction).
   * Rejects with AgentHasLiveCall when the database already holds a live call of the agent.
   */
  async recordCallRequest(request: NewCall): Promise<Call> {
    const call = withPlacerOnCall(request);
    const row = this.calls.create(call);
    try {
      await this.write(this.writes.insert(call));
    } catch (err) {
      if (violatesUniqueIndex(err, ONE_LIVE_CALL_PER_AGENT)) throw new AgentHasLiveCall(call.agentId, { cause: err });
      throw err;
    }
    return row;
  }

  /**
   * Records a live request only if every global limit still holds with it (cluster mode), counted
   * and written in one transaction under an advisory lock that every such recording takes, so
   * concurrent requests on several instances are counted one after another. Rejects with
   * LimitReached (nothing written) or AgentHasLiveCall.
   */
  async recordCallRequestWithinLimits(request: NewCall & { route: RouteCode; target: string }, limits: PlacementLimits): Promise<void> {
    const call = withPlacerOnCall(request);
    try {
      await this.underPlacementLock(async (runner) => {
        const calls = runner.manager.getRepository(Call);
        const live = await calls.count({ where: { stage: Not('ended') } });
        if (live >= limits.maxConcurrent) throw new LimitReached({ limit: 'concurrent_calls', max: limits.maxConcurrent, live });
        if (limits.routeMax !== null) {
          const onRoute = await calls.count({ where: { stage: Not('ended'), route: call.route } });
          if (onRoute >= limits.routeMax) throw new LimitReached({ limit: 'route_calls', route: call.route, max: limits.routeMax, live: onRoute });
        }
        for (const [period, max, windowMs] of [['day', limits.numberPerDay, DAY_MS], ['7_days', limits.numberPer7Days, 7 * DAY_MS]] as const) {
          if (max === null) continue;
          const placed = await calls.count({ where: placedSince({ target: call.target }, new Date(call.requestedAt.getTime() - windowMs)) });
          if (placed >= max) throw new LimitReached({ limit: 'number_calls', period, max, placed });
        }
        const insert = this.writes.insert(call);
        await runner.query(insert.sql, insert.parameters);
      });
    } catch (err) {
      if (violatesUniqueIndex(err, ONE_LIVE_CALL_PER_AGENT)) throw new AgentHasLiveCall(call.agentId, { cause: err });
      throw err;
    }
  }

  /**
   * Runs `step` holding the advisory lock every recording of a call takes on PostgreSQL, so that
   * several processes on one database decide one call at a time; on SQLite (one process) it just
   * runs it. The step reads and writes through the pool: what it wrote is committed before the lock
   * is let go.
   */
  async placingAlone<T>(step: () => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'postgres') return step();
    return this.underPlacementLock(step);
  }

  /**
   * One transaction holding the placement lock on PostgreSQL (SQLite's single writer needs none),
   * committed when `work` resolves and rolled back when it throws.
   */
  private async underPlacementLock<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      if (this.dataSource.options.type === 'postgres') await runner.query('SELECT pg_advisory_xact_lock($1)', [PLACEMENT_LOCK]);
      const result = await work(runner);
      await runner.commitTransaction();
      return result;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  async recordCallTransition(id: string, patch: CallPatch): Promise<void> {
    const update = this.writes.update(id, patch);
    if (update) await this.write(update);
  }

  /** On SQLite through statements the connection keeps (see SqliteConnection); on PostgreSQL through the pool. */
  private write(query: CallRowQuery): Promise<unknown> {
    return runWrite(this.dataSource, query);
  }

  byId(id: string): Promise<Call | null> {
    return this.calls.findOneBy({ id });
  }

  /**
   * Calls that ended (refused requests included: they end as they are requested) or were given a
   * disposition at or after `since`: what a check of the webhooks' events reads (webhooks/missed-events.ts).
   * By the two times' indexes alone, so that the database reads only the window's rows.
   */
  endedSince(since: Date): Promise<Call[]> {
    return this.calls.find({ where: [{ endedAt: MoreThanOrEqual(since) }, { dispositionAt: MoreThanOrEqual(since) }] });
  }

  /**
   * The live rows, each with its agent (a restart resumes them, and their context names the agent's
   * Telegram id), and a return call's with the earlier call it answers (its agent is told of a missed one).
   */
  async liveCalls(): Promise<Array<Call & { returnsCall?: EarlierCall | null }>> {
    const rows = await this.calls.find({ where: { stage: In([...LIVE_STAGES]) }, relations: { agent: true }, order: { requestedAt: 'ASC' } });
    const earlierIds = [...new Set(rows.flatMap((r) => (r.returnsCallId ? [r.returnsCallId] : [])))];
    if (earlierIds.length === 0) return rows;
    const earlier = await this.calls.find({ select: { id: true, agentId: true, requestedAt: true, disposition: true, note: true }, where: { id: In(earlierIds) } });
    const byId = new Map(earlier.map((c) => [c.id, { agentId: c.agentId, requestedAt: c.requestedAt, disposition: c.disposition, note: c.note }]));
    return rows.map((r) => (r.returnsCallId ? Object.assign(r, { returnsCall: byId.get(r.returnsCallId) ?? null }) : r));
  }

  /**
   * The live call the agent is on now (placed or taken by transfer), or else their latest placed call,
   * by when it was requested. A call they placed and left by a transfer is over for them: it reads as
   * ended when they left it (their leg's end, else when it was requested), though it goes on.
   */
  async latestPlacedCallOfAgent(agentId: number): Promise<Pick<Call, 'requestedAt' | 'endedAt'> | null> {
    const on = await this.calls.findOne({ select: { requestedAt: true, endedAt: true }, where: { onCallAgentId: agentId, stage: Not('ended') } });
    if (on) return on;
    const latest = await this.calls.findOne({
      select: { id: true, requestedAt: true, endedAt: true },
      where: { agentId, outcome: Or(IsNull(), Not('refused')) },
      order: { requestedAt: 'DESC' },
    });
    if (!latest || latest.endedAt !== null) return latest && { requestedAt: latest.requestedAt, endedAt: latest.endedAt };
    const left = await this.dataSource.getRepository(CallLeg).findOne({ select: { endedAt: true }, where: { callId: latest.id, legId: 'agent' } });
    return { requestedAt: latest.requestedAt, endedAt: left?.endedAt ?? latest.requestedAt };
  }

  /**
   * The agent's latest calls that were placed (refused requests are audit, not history): those they
   * placed, and those they took a part in (a call transferred to them, a conference).
   */
  recentCallsOfAgent(agentId: number, limit = 10): Promise<Call[]> {
    const tookPart = Raw((id) => `${id} IN (SELECT call_id FROM call_legs WHERE agent_id = :agentId)`, { agentId });
    return this.calls.find({
      where: [{ agentId, outcome: Not('refused') }, { id: tookPart, outcome: Not('refused') }],
      order: { requestedAt: 'DESC' },
      take: limit,
    });
  }

  recentRequestsOfAgent(agentId: number, limit = 10): Promise<Call[]> {
    return this.calls.find({ where: { agentId }, order: { requestedAt: 'DESC' }, take: limit });
  }

  /**
   * The calls agents placed to this customer since `since`, the latest first: who a return call
   * rings (call/return-call-routing.ts). Refused requests never reached the customer; their own
   * calls in (`inbound`) are not calls we made.
   */
  callsToCustomerSince(target: string, since: Date): Promise<Call[]> {
    return this.calls.find({
      where: { target, direction: 'outbound', requestedAt: MoreThanOrEqual(since), outcome: Or(IsNull(), Not('refused')) },
      order: { requestedAt: 'DESC' },
      take: 50,
    });
  }

  /** The outcome the agent chose after the call; choosing again replaces it. */
  async recordDisposition(id: string, disposition: string, at: Date): Promise<void> {
    await this.recordCallTransition(id, { disposition, dispositionAt: at });
  }

  /** The agent's note on the call; a newer one replaces it. */
  async recordNote(id: string, note: string): Promise<void> {
    await this.recordCallTransition(id, { note });
  }

  /** The call whose status message this is, in this chat (a transfer moves the call's status to its new agent's chat). */
  callWithStatusMessage(telegramChatId: string, statusMessageId: number): Promise<Call | null> {
    return this.calls.findOne({ where: { telegramChatId, statusMessageId }, order: { requestedAt: 'DESC' } });
  }

  /**
   * The call that ended last with this agent on it at its end (placed by them, or taken by transfer):
   * the one whose final status, with its disposition keyboard, is theirs. Refused requests are not calls.
   */
  lastCallEndedWithAgent(agentId: number): Promise<Call | null> {
    const tookPart = Raw((id) => `${id} IN (SELECT call_id FROM call_legs WHERE agent_id = :agentId)`, { agentId });
    const ended = { onCallAgentId: agentId, stage: 'ended' as const, outcome: Not('refused' as const) };
    return this.calls.findOne({ where: [{ agentId, ...ended }, { id: tookPart, ...ended }], order: { endedAt: 'DESC', requestedAt: 'DESC' } });
  }

  /**
   * How many calls were placed since `since` to one number, or by one agent: refused requests are
   * not calls, every other row is (live ones included).
   */
  countPlacedCalls(of: { target: string } | { agentId: number }, since: Date): Promise<number> {
    return this.calls.count({ where: placedSince(of, since) });
  }
}

/** Calls placed since `since` to one number or by one agent: refused requests are not calls, every other row is (live ones included). */
function placedSince(of: { target: string } | { agentId: number }, since: Date): FindOptionsWhere<Call> {
  return { ...of, requestedAt: MoreThan(since), outcome: Or(IsNull(), Not('refused')) };
}

/** A call starts with its placer on the line, whom the one-live-call rule holds until a transfer hands it on. */
function withPlacerOnCall<T extends NewCall>(call: T): T {
  return call.onCallAgentId === undefined ? { ...call, onCallAgentId: call.agentId } : call;
}
