import { type DataSource, In, IsNull, LessThanOrEqual, type Repository } from 'typeorm';
import { type CallbackState, ScheduledCallback } from '../entities';
import type { RouteCode } from '../call/call-types';

export interface NewCallback {
  callId: string | null;
  agentId: number;
  number: string;
  route: RouteCode | null;
  dueAt: Date;
  createdAt: Date;
  /** Written as reminded already, at this time (a missed return call's message is its reminder). */
  remindedAt?: Date;
}

/** The states of a callback still to be made: waiting for its time, or its agent reminded. */
const OPEN: CallbackState[] = ['pending', 'reminded'];

/**
 * Scheduled callbacks. Every change of state is one conditional UPDATE and says whether it
 * happened: of several processes (or taps) that try the same change, exactly one sees true.
 */
export class ScheduledCallbackStore {
  private readonly rows: Repository<ScheduledCallback>;

  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(ScheduledCallback);
  }

  async add(callback: NewCallback): Promise<ScheduledCallback> {
    const remindedAt = callback.remindedAt ?? null;
    return this.rows.save(this.rows.create({
      ...callback, state: remindedAt ? 'reminded' : 'pending', remindedAt, missedNotifiedAt: null, closedAt: null, closedBy: null,
    }));
  }

  byId(id: number): Promise<ScheduledCallback | null> {
    return this.rows.findOneBy({ id });
  }

  /** Pending callbacks due by `now`, earliest first. */
  duePending(now: Date, limit: number): Promise<ScheduledCallback[]> {
    return this.rows.find({ where: { state: 'pending', dueAt: LessThanOrEqual(now) }, order: { dueAt: 'ASC', id: 'ASC' }, take: limit });
  }

  /** Moves a due callback from pending to reminded; true only for the one caller that moved it. */
  async claimReminder(id: number, now: Date): Promise<boolean> {
    const result = await this.rows.update({ id, state: 'pending', dueAt: LessThanOrEqual(now) }, { state: 'reminded', remindedAt: now });
    return (result.affected ?? 0) > 0;
  }

  /** Reminded callbacks due by `dueBy` that nobody called back and the admins were not told of yet. */
  missedUntold(dueBy: Date, limit: number): Promise<ScheduledCallback[]> {
    return this.rows.find({ where: { state: 'reminded', dueAt: LessThanOrEqual(dueBy), missedNotifiedAt: IsNull() }, order: { dueAt: 'ASC', id: 'ASC' }, take: limit });
  }

  /** Marks a missed callback as told to the admins; true only for the one caller that marked it. */
  async claimMissed(id: number, dueBy: Date, now: Date): Promise<boolean> {
    const result = await this.rows.update({ id, state: 'reminded', dueAt: LessThanOrEqual(dueBy), missedNotifiedAt: IsNull() }, { missedNotifiedAt: now });
    return (result.affected ?? 0) > 0;
  }

  /** The earliest due time of a pending callback. */
  async nextDue(): Promise<Date | undefined> {
    return (await this.rows.findOne({ where: { state: 'pending' }, order: { dueAt: 'ASC' }, select: { id: true, dueAt: true } }))?.dueAt;
  }

  /** The earliest due time of a reminded callback the admins were not told of as missed. */
  async nextUntold(): Promise<Date | undefined> {
    return (await this.rows.findOne({ where: { state: 'reminded', missedNotifiedAt: IsNull() }, order: { dueAt: 'ASC' }, select: { id: true, dueAt: true } }))?.dueAt;
  }

  /** Called back: true only when it was still open. */
  async markDone(id: number, now: Date): Promise<boolean> {
    const result = await this.rows.update({ id, state: In(OPEN) }, { state: 'done', closedAt: now });
    return (result.affected ?? 0) > 0;
  }

  /** Every open callback of the agent to the number, marked done (the customer was reached); how many were. */
  async markDoneFor(agentId: number, number: string, now: Date): Promise<number> {
    const result = await this.rows.update({ agentId, number, state: In(OPEN) }, { state: 'done', closedAt: now });
    return result.affected ?? 0;
  }

  /** Cancelled: true only when it was still open. */
  async cancel(id: number, by: string, now: Date): Promise<boolean> {
    const result = await this.rows.update({ id, state: In(OPEN) }, { state: 'cancelled', closedAt: now, closedBy: by.slice(0, 20) });
    return (result.affected ?? 0) > 0;
  }

  /** An agent's callbacks still to be made, earliest first; every agent's without one. */
  open(agentId?: number, limit = 50): Promise<ScheduledCallback[]> {
    return this.rows.find({
      where: { state: In(OPEN), ...(agentId !== undefined ? { agentId } : {}) }, order: { dueAt: 'ASC', id: 'ASC' }, take: limit,
    });
  }
}
