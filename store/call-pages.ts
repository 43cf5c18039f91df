import { type DataSource, type Repository } from 'typeorm';
import { Agent, Call, CallLeg, CallRecording } from '../entities';

export interface CallPageQuery {
  agentTelegramId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** After this call in the order (newest first): its request time and id. */
  after?: { requestedAt: Date; id: string };
}

export interface CallWithParts {
  call: Call;
  agent: Pick<Agent, 'telegramId' | 'displayName'> | null;
  legs: CallLeg[];
  recording: CallRecording | null;
}

/** Calls as the HTTP API reads them: pages newest first, each call with its agent, legs and recording. */
export class CallPages {
  private readonly calls: Repository<Call>;

  constructor(private readonly dataSource: DataSource) {
    this.calls = dataSource.getRepository(Call);
  }

  async page(query: CallPageQuery): Promise<CallWithParts[]> {
    const q = this.calls.createQueryBuilder('c').leftJoin('c.agent', 'a');
    if (query.agentTelegramId) q.andWhere('a.telegramId = :agent', { agent: query.agentTelegramId });
    if (query.from) q.andWhere('c.requestedAt >= :from', { from: query.from });
    if (query.to) q.andWhere('c.requestedAt < :to', { to: query.to });
    if (query.after) {
      q.andWhere('(c.requestedAt < :at OR (c.requestedAt = :at AND c.id < :id))', { at: query.after.requestedAt, id: query.after.id });
    }
    const calls = await q.orderBy('c.requestedAt', 'DESC').addOrderBy('c.id', 'DESC').take(query.limit).getMany();
    return this.withParts(calls);
  }

  async byId(id: string): Promise<CallWithParts | undefined> {
    const call = await this.calls.findOneBy({ id });
    return call ? (await this.withParts([call]))[0] : undefined;
  }

  private async withParts(calls: Call[]): Promise<CallWithParts[]> {
    if (calls.length === 0) return [];
    const ids = calls.map((c) => c.id);
    const agentIds = [...new Set(calls.map((c) => c.agentId))];
    const [agents, legs, recordings] = await Promise.all([
      this.dataSource.getRepository(Agent).createQueryBuilder('a').select(['a.id', 'a.telegramId', 'a.displayName']).whereInIds(agentIds).getMany(),
      this.dataSource.getRepository(CallLeg).createQueryBuilder('l').where('l.callId IN (:...ids)', { ids }).orderBy('l.legId', 'ASC').getMany(),
      this.dataSource.getRepository(CallRecording).createQueryBuilder('r').where('r.callId IN (:...ids)', { ids }).getMany(),
    ]);
    const agentOf = new Map(agents.map((a) => [a.id, a]));
    return calls.map((call) => ({
      call,
      agent: agentOf.get(call.agentId) ?? null,
      legs: legs.filter((l) => l.callId === call.id),
      recording: recordings.find((r) => r.callId === call.id) ?? null,
    }));
  }
}
