/**
 * Calling hours as wall-clock windows in a time zone: whether an instant falls inside them, and
 * when they next open. Pure: instants in, instants out; the local time comes from Intl, so daylight
 * saving is the time zone database's, never ours.
 */
import { type DailyHours, MINUTES_PER_DAY, type WeeklyHours } from '../../config/compliance-settings';

export type { DailyHours, WeeklyHours };

const MINUTE_MS = 60_000;
const DAY_MS = MINUTES_PER_DAY * MINUTE_MS;
/** How far ahead the next opening is looked for: a week covers every weekday's window once. */
const SEARCH_DAYS = 8;

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** The wall clock in a time zone at an instant. */
export interface LocalTime {
  zone: string;
  /** Sunday = 0. */
  weekday: number;
  /** Minutes after local midnight, seconds dropped. */
  minutes: number;
  /** The local date and time read as if it were UTC: what turns wall times back into instants. */
  wallMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError for a zone the runtime's time zone database does not know. */
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the runtime can tell the local time of a zone. */
export function isKnownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(at: number, zone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(at))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const hour = parts.hour ?? 0;
  const minute = parts.minute ?? 0;
  const wallMs = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, hour, minute, parts.second ?? 0);
  return { zone, weekday: new Date(wallMs).getUTCDay(), minutes: hour * 60 + minute, wallMs };
}

/** The window of the local day an instant falls on, in that zone. */
export function hoursOfLocalDay(hours: WeeklyHours, local: LocalTime): DailyHours | null {
  return hours[local.weekday] ?? null;
}

export function isOpenIn(hours: WeeklyHours, zone: string, at: number): boolean {
  const local = localTime(at, zone);
  const day = hoursOfLocalDay(hours, local);
  return day !== null && local.minutes >= day.open && local.minutes < day.close;
}

export function isOpenInAll(hours: WeeklyHours, zones: readonly string[], at: number): boolean {
  return zones.every((zone) => isOpenIn(hours, zone, at));
}

/** True when the hours never close: no time zone is needed to judge them. */
export function isAlwaysOpen(hours: WeeklyHours): boolean {
  return WEEKDAYS.every((_, day) => hours[day]?.open === 0 && hours[day]?.close === MINUTES_PER_DAY);
}

/**
 * The first instant from `at` on when the window is open in every zone at once, or undefined when
 * that does not happen within the search horizon (every day closed, or zones too far apart).
 * Such an instant is always one zone's opening, so those openings are the only candidates.
 */
export function nextOpening(hours: WeeklyHours, zones: readonly string[], at: number): number | undefined {
  if (isOpenInAll(hours, zones, at)) return at;
  const candidates: number[] = [];
  for (const zone of zones) {
    const today = localTime(at, zone);
    const midnight = today.wallMs - (today.wallMs % DAY_MS);
    for (let d = 0; d < SEARCH_DAYS; d += 1) {
      const wallMidnight = midnight + d * DAY_MS;
      const day = hours[new Date(wallMidnight).getUTCDay()];
      if (day) candidates.push(...instantsOfWallTime(wallMidnight + day.open * MINUTE_MS, zone));
    }
  }
  return candidates.filter((t) => t > at).sort((a, b) => a - b).find((t) => isOpenInAll(hours, zones, t));
}

/**
 * The instants whose wall time in the zone is `wallMs`: one on an ordinary day, two readings
 * around a daylight-saving change. A wall time that a change skips yields instants on either side
 * of the skipped span; the caller keeps the one where the window is open.
 */
export function instantsOfWallTime(wallMs: number, zone: string): number[] {
  const offsetAt = (t: number) => localTime(t, zone).wallMs - Math.floor(t / 1000) * 1000;
  const first = wallMs - offsetAt(wallMs);
  const second = wallMs - offsetAt(first);
  return first === second ? [first] : [first, second];
}

/** `22:14`: a wall-clock time as the facts of a refusal keep it. */
export function wallClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** `08:00-21:00`, or `closed`: a day's window in the syntax of its setting. */
export function dailyHoursText(day: DailyHours | null): string {
  return day ? `${wallClock(day.open)}-${wallClock(day.close)}` : 'closed';
}
