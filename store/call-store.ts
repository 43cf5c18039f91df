import { DataSource, In, IsNull, MoreThan, Not, Or, Repository } from 'typeorm';
import { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';
import { Call } from '../entities';
import { LIVE_STAGES } from '../call/call-types';
import { CallRowSql, type CallRowQuery } from './call-row-sql';
import { SqliteConnection } from './sqlite-connection';
import { AgentHasLiveCall } from '../call/agent-has-live-call';
import { violatesUniqueIndex } from './unique-violation';
import { type Fence, fencedUpdate } from '../cluster/fenced-update';

/** The index keeping one live call per agent (entities/call.entity.ts). */
const ONE_LIVE_CALL_PER_AGENT = { name: 'uq_calls_agent_live', table: 'calls', columns: ['agent_id'] } as const;

export type NewCall = Pick<Call, 'id' | 'agentId' | 'targetInput' | 'stage' | 'requestedAt'> & Partial<Call>;
export type CallPatch = Partial<Omit<Call, 'id' | 'agentId' | 'agent'>>;

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
  async recordCallRequest(call: NewCall): Promise<Call> {
    const row = this.calls.create(call);
    try {
      await this.write(this.writes.insert(call));
    } catch (err) {
      if (violatesUniqueIndex(err, ONE_LIVE_CALL_PER_AGENT)) throw new AgentHasLiveCall(call.agentId, { cause: err });
      throw err;
    }
    return row;
  }

  async recordCallTransition(id: string, patch: CallPatch): Promise<void> {
    const update = this.writes.update(id, patch);
    if (update) await this.write(update);
  }

  /**
   * The owner of the call's server writes its changes only while it still holds the server's lease
   * (cluster mode): false when the fence is no longer the lease's, and nothing was written.
   */
  async recordFencedTransition(id: string, patch: CallPatch, fence: Fence): Promise<boolean> {
    const update = this.writes.update(id, patch);
    if (!update) return true;
    return (await fencedUpdate(this.dataSource, update.sql, update.parameters, fence)) > 0;
  }

  /** On SQLite through statements the connection keeps (see SqliteConnection); on PostgreSQL through the pool. */
  private write({ sql, parameters }: CallRowQuery): Promise<unknown> {
    const { driver } = this.dataSource;
    if (driver instanceof SqliteDriver && driver.databaseConnection instanceof SqliteConnection) {
      return driver.databaseConnection.runPrepared(sql, parameters);
    }
    return this.dataSource.query(sql, parameters);
  }

  byId(id: string): Promise<Call | null> {
    return this.calls.findOneBy({ id });
  }

  liveCalls(): Promise<Call[]> {
    return this.calls.find({ where: { stage: In([...LIVE_STAGES]) }, order: { requestedAt: 'ASC' } });
  }

  /** The agent's latest calls that were placed (refused requests are audit, not history). */
  recentCallsOfAgent(agentId: number, limit = 10): Promise<Call[]> {
    return this.calls.find({
      where: { agentId, outcome: Not('refused') },
      order: { requestedAt: 'DESC' },
      take: limit,
    });
  }

  recentRequestsOfAgent(agentId: number, limit = 10): Promise<Call[]> {
    return this.calls.find({ where: { agentId }, order: { requestedAt: 'DESC' }, take: limit });
  }

  /**
   * How many calls were placed since `since` to one number, or by one agent: refused requests are
   * not calls, every other row is (live ones included).
   */
  countPlacedCalls(of: { target: string } | { agentId: number }, since: Date): Promise<number> {
    return this.calls.count({ where: { ...of, requestedAt: MoreThan(since), outcome: Or(IsNull(), Not('refused')) } });
  }
}
