import { timeZonesOfNumber } from '../../phone/number-time-zones';
import type { CallAttempt, CallRule, RuleRefusal } from './call-rule';
import {
  WEEKDAYS, type WeeklyHours, dailyHoursText, hoursOfLocalDay, isAlwaysOpen, isKnownZone, isOpenInAll, localTime, nextOpening, wallClock,
} from './calling-window';

export type TimeZoneLookup = (e164: string) => Promise<readonly string[]>;

/**
 * Calls only inside the calling hours in the customer's local time. A number whose range spans
 * several zones is called only while the hours are open in all of them; one with no zone the
 * runtime can read is refused, since its local time cannot be known.
 */
export class CallingHoursRule implements CallRule {
  constructor(private readonly hours: WeeklyHours, private readonly zonesOf: TimeZoneLookup = timeZonesOfNumber) {}

  async check(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    if (isAlwaysOpen(this.hours)) return undefined;
    const zones = [...await this.zonesOf(attempt.target)];
    const unreadable = zones.filter((zone) => !isKnownZone(zone));
    if (zones.length === 0 || unreadable.length > 0) return { rule: 'calling_hours_unknown_zone', zones: unreadable };
    if (isOpenInAll(this.hours, zones, attempt.at)) return undefined;
    const locals = zones.map((zone) => localTime(attempt.at, zone));
    const [first] = locals;
    const opens = nextOpening(this.hours, zones, attempt.at);
    return {
      rule: 'calling_hours',
      zones,
      localTimes: locals.map((local) => wallClock(local.minutes)),
      weekday: first ? WEEKDAYS[first.weekday] ?? '' : '',
      hours: first ? dailyHoursText(hoursOfLocalDay(this.hours, first)) : 'closed',
      ...(opens !== undefined ? { opensInMinutes: Math.ceil((opens - attempt.at) / 60_000) } : {}),
    };
  }
}
