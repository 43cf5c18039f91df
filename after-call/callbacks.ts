/**
 * Scheduling, listing and closing callbacks. A time is judged in the customer's time zone against
 * the calling hours, by the calling-hours rule itself: a callback that its call would be refused
 * for at its time is never written.
 */
import type { RouteCode } from '../call/call-types';
import { CallingHoursRule, type TimeZoneLookup } from '../compliance/rules/calling-hours-rule';
import { type WeeklyHours, isKnownZone } from '../compliance/rules/calling-window';
import type { ScheduledCallback } from '../entities';
import { timeZonesOfNumber } from '../phone/number-time-zones';
import type { NewCallback } from '../store';
import { type CallbackPick, type LocalWallTime, localWallTime, pickedTime, readTypedTime } from './callback-time';

/** The clock callbacks are judged and reminded by (specs move it by hand). */
export interface CallbackClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

export const REAL_CALLBACK_CLOCK: CallbackClock = {
  now: Date.now,
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** How far ahead a callback may be set: further out, it is a campaign, not a callback. */
export const MAX_AHEAD_DAYS = 90;

/** What scheduling needs of the calls table and the callbacks table. */
export interface CallbackRecords {
  calls: { byId(id: string): Promise<{ agentId: number; onCallAgentId: number | null; target: string | null; route: RouteCode | null } | null> };
  callbacks: {
    add(callback: NewCallback): Promise<ScheduledCallback>;
    byId(id: number): Promise<ScheduledCallback | null>;
    markDone(id: number, now: Date): Promise<boolean>;
    markDoneFor(agentId: number, number: string, now: Date): Promise<number>;
    cancel(id: number, by: string, now: Date): Promise<boolean>;
    open(agentId?: number, limit?: number): Promise<ScheduledCallback[]>;
  };
}

export interface CallbacksDeps extends CallbackRecords {
  /** The calling hours, in the customer's local time (CALLING_HOURS). */
  hours: WeeklyHours;
  clock: CallbackClock;
  zonesOf?: TimeZoneLookup;
  /** Told when a callback was written (the reminders' timer may need to run sooner). */
  onScheduled?: () => void;
}

/** The customer a call was with, and the zone their times are read in. */
export interface CallbackCustomer {
  number: string;
  route: RouteCode | null;
  /** The zone typed times are read in and confirmations name: the number's first (most have one). */
  zone: string;
  /** False when no zone is known for the number: times are then read in UTC. */
  zoneKnown: boolean;
}

export type CustomerRefusal = 'no_call' | 'not_yours';

export type ScheduleRefusal =
  | { reason: CustomerRefusal }
  /** Not a time, or a date that does not exist; `zone`: where a typed time is read. */
  | { reason: 'unreadable' | 'no_such_date'; zone: string }
  | { reason: 'past'; local: LocalWallTime }
  | { reason: 'too_far'; local: LocalWallTime; maxDays: number }
  /** The time falls outside the calling hours in (one of) the customer's zones; `hours`: that local day's window. */
  | { reason: 'outside_hours'; local: LocalWallTime; hours: string }
  /** The number's time zone is not known, so no time can be judged against the calling hours. */
  | { reason: 'unknown_zone' };

export type ScheduleAnswer =
  | { ok: true; callback: ScheduledCallback; local: LocalWallTime }
  | ({ ok: false } & ScheduleRefusal);

export type When = { pick: CallbackPick } | { typed: string };

export type CloseAnswer = 'closed' | 'not_yours' | 'gone';

export class Callbacks {
  private readonly hoursRule: CallingHoursRule;
  private readonly zonesOf: TimeZoneLookup;

  constructor(private readonly deps: CallbacksDeps) {
    this.zonesOf = deps.zonesOf ?? timeZonesOfNumber;
    this.hoursRule = new CallingHoursRule(deps.hours, this.zonesOf);
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** The customer of an agent's call (the agent who placed it or took it by transfer). */
  async customerOf(callId: string, agentId: number): Promise<{ ok: true; customer: CallbackCustomer } | { ok: false; reason: CustomerRefusal }> {
    const call = await this.deps.calls.byId(callId);
    if (!call?.target) return { ok: false, reason: 'no_call' };
    if (call.agentId !== agentId && call.onCallAgentId !== agentId) return { ok: false, reason: 'not_yours' };
    const known = await this.knownZoneOf(call.target);
    return { ok: true, customer: { number: call.target, route: call.route, zone: known ?? 'UTC', zoneKnown: known !== undefined } };
  }

  /** The zone a number's times are read in; UTC for a number with none known (the hours rule then refuses unless they never close). */
  async zoneOf(number: string): Promise<string> {
    return (await this.knownZoneOf(number)) ?? 'UTC';
  }

  private async knownZoneOf(number: string): Promise<string | undefined> {
    return (await this.zonesOf(number)).find(isKnownZone);
  }

  /** Writes a callback after the agent's call for a time that is ahead and inside the calling hours; nothing otherwise. */
  async schedule(request: { callId: string; agentId: number; when: When }): Promise<ScheduleAnswer> {
    const found = await this.customerOf(request.callId, request.agentId);
    if (!found.ok) return { ok: false, reason: found.reason };
    const { customer } = found;
    const now = this.now();
    const read = 'pick' in request.when
      ? { ok: true as const, at: pickedTime(request.when.pick, now, customer.zone) }
      : readTypedTime(request.when.typed, now, customer.zone);
    if (!read.ok) return { ok: false, reason: read.problem, zone: customer.zone };
    const dueAt = read.at;
    const local = localWallTime(dueAt, customer.zone);
    if (dueAt <= now) return { ok: false, reason: 'past', local };
    if (dueAt - now > MAX_AHEAD_DAYS * 24 * 3_600_000) return { ok: false, reason: 'too_far', local, maxDays: MAX_AHEAD_DAYS };
    const refusal = await this.hoursRule.check({ agentId: request.agentId, agentTelegramId: '', target: customer.number, route: customer.route ?? 'M', at: dueAt });
    if (refusal?.rule === 'calling_hours_unknown_zone') return { ok: false, reason: 'unknown_zone' };
    if (refusal?.rule === 'calling_hours') return { ok: false, reason: 'outside_hours', local, hours: refusal.hours };
    const callback = await this.deps.callbacks.add({
      callId: request.callId, agentId: request.agentId, number: customer.number, route: customer.route, dueAt: new Date(dueAt), createdAt: new Date(now),
    });
    this.deps.onScheduled?.();
    return { ok: true, callback, local };
  }

  /**
   * A customer's return call nobody took: a callback for the agent who called them, due now (they
   * called us, so no calling hours are judged here; the call back itself goes through every rule).
   * The missed-call message is its reminder, so it is written as reminded: the reminders do not tell
   * the agent twice, and the admins hear of it if nobody calls back.
   */
  async missedReturnCall(missed: { callId: string; agentId: number; number: string; route: RouteCode | null }): Promise<ScheduledCallback> {
    const now = new Date(this.now());
    const callback = await this.deps.callbacks.add({ ...missed, dueAt: now, createdAt: now, remindedAt: now });
    this.deps.onScheduled?.();
    return callback;
  }

  /**
   * A return call from the customer that the agent answered: their open callbacks to that customer
   * are done (the two have spoken), so neither a reminder nor a missed-callback alert follows.
   */
  async reachedByReturnCall(reached: { agentId: number; number: string }): Promise<number> {
    return this.deps.callbacks.markDoneFor(reached.agentId, reached.number, new Date(this.now()));
  }

  /** Cancels a callback still to be made: its agent's, or any for an admin. */
  async cancel(id: number, who: { agentId: number | null; isAdmin: boolean; telegramId: string }): Promise<CloseAnswer> {
    const callback = await this.deps.callbacks.byId(id);
    if (!callback) return 'gone';
    if (!who.isAdmin && callback.agentId !== who.agentId) return 'not_yours';
    return (await this.deps.callbacks.cancel(id, who.telegramId, new Date(this.now()))) ? 'closed' : 'gone';
  }

  /** Called back: the call went out. */
  async markCalled(id: number): Promise<boolean> {
    return this.deps.callbacks.markDone(id, new Date(this.now()));
  }

  byId(id: number): Promise<ScheduledCallback | null> {
    return this.deps.callbacks.byId(id);
  }

  /** Callbacks still to be made, earliest first: an agent's, or everyone's. */
  open(agentId: number | undefined, limit: number): Promise<ScheduledCallback[]> {
    return this.deps.callbacks.open(agentId, limit);
  }
}

/** A reminded callback nobody called back within `missedAfterMs` of its time. */
export function isMissed(callback: Pick<ScheduledCallback, 'state' | 'dueAt'>, now: number, missedAfterMs: number): boolean {
  return callback.state === 'reminded' && callback.dueAt.getTime() + missedAfterMs <= now;
}
