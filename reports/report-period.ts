import { localTime } from '../compliance/rules/calling-window';

const DAY_MS = 86_400_000;

/** A stretch of time a report covers: [from, to), and how it is named to users. */
export interface ReportPeriod {
  from: Date;
  to: Date;
  /** The local days it spans, `YYYY-MM-DD`, first and last (the same for one day). */
  firstDay: string;
  lastDay: string;
}

export type StatsPeriodName = 'today' | 'week';

/** `YYYY-MM-DD`: the local day an instant falls on in the zone. */
export function localDay(at: number, zone: string): string {
  return new Date(localTime(at, zone).wallMs).toISOString().slice(0, 10);
}

/** The local hour (0-23) of an instant in the zone. */
export function localHour(at: number, zone: string): number {
  return Math.floor(localTime(at, zone).minutes / 60);
}

/** The instant the local day of `at` began in the zone (its midnight, wherever daylight saving puts it). */
export function startOfLocalDay(at: number, zone: string): number {
  const offsetAt = (t: number) => localTime(t, zone).wallMs - Math.floor(t / 1000) * 1000;
  const wall = localTime(at, zone).wallMs;
  const wallMidnight = wall - (wall % DAY_MS);
  const guess = wallMidnight - offsetAt(at);
  return wallMidnight - offsetAt(guess);
}

/** `today`: since local midnight; `week`: the last seven local days, today included; both up to `now`. */
export function statsPeriod(name: StatsPeriodName, now: number, zone: string): ReportPeriod {
  const today = startOfLocalDay(now, zone);
  const from = name === 'today' ? today : startOfLocalDay(today - 6 * DAY_MS + DAY_MS / 2, zone);
  return { from: new Date(from), to: new Date(now), firstDay: localDay(from, zone), lastDay: localDay(now, zone) };
}

/** The whole local day before the one `now` falls on: what the daily report covers. */
export function previousLocalDay(now: number, zone: string): ReportPeriod {
  const to = startOfLocalDay(now, zone);
  const from = startOfLocalDay(to - DAY_MS / 2, zone);
  const day = localDay(from, zone);
  return { from: new Date(from), to: new Date(to), firstDay: day, lastDay: day };
}
