import { And, type DataSource, Equal, type FindOptionsWhere, In, LessThan, MoreThan, MoreThanOrEqual, Repository } from 'typeorm';
import { Agent, Call, ReportMark } from '../entities';

/** Which calls a report reads: requested in [from, to), of one placing agent or of all. */
export interface CallRange {
  from: Date;
  to: Date;
  agentId?: number;
}

const DEFAULT_PAGE = 1000;

/**
 * What reports read: calls in a time range, a page at a time in request order (a keyset on
 * requested_at and id, so a million rows never sit in memory at once and no page is skipped or read
 * twice), the agents they name, and the claim that makes a scheduled report go out once a day.
 */
export class ReportStore {
  private readonly calls: Repository<Call>;
  private readonly agents: Repository<Agent>;
  private readonly marks: Repository<ReportMark>;

  constructor(dataSource: DataSource) {
    this.calls = dataSource.getRepository(Call);
    this.agents = dataSource.getRepository(Agent);
    this.marks = dataSource.getRepository(ReportMark);
  }

  async *callPages(range: CallRange, pageSize = DEFAULT_PAGE): AsyncGenerator<Call[]> {
    const agent: FindOptionsWhere<Call> = range.agentId === undefined ? {} : { agentId: range.agentId };
    let where: FindOptionsWhere<Call>[] = [{ ...agent, requestedAt: And(MoreThanOrEqual(range.from), LessThan(range.to)) }];
    for (;;) {
      const page = await this.calls.find({ where, order: { requestedAt: 'ASC', id: 'ASC' }, take: pageSize });
      if (page.length === 0) return;
      yield page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      where = [
        { ...agent, requestedAt: And(MoreThan(last.requestedAt), LessThan(range.to)) },
        { ...agent, requestedAt: Equal(last.requestedAt), id: MoreThan(last.id) },
      ];
    }
  }

  /** The agents with these ids, by id (a page of calls names a few). */
  async agentsByIds(ids: readonly number[]): Promise<Map<number, Agent>> {
    if (ids.length === 0) return new Map();
    const rows = await this.agents.findBy({ id: In([...new Set(ids)]) });
    return new Map(rows.map((a) => [a.id, a]));
  }

  /**
   * Claims `day` (`YYYY-MM-DD`) for the report `name`: true for exactly one caller per day, whatever
   * the restarts and instances, since only one conditional update can move the day forward.
   */
  async claimDay(name: string, day: string): Promise<boolean> {
    await this.marks.createQueryBuilder().insert().into(ReportMark).values({ name, lastDay: '' }).orIgnore().execute();
    const result = await this.marks.update({ name, lastDay: LessThan(day) }, { lastDay: day });
    return (result.affected ?? 0) > 0;
  }
}
