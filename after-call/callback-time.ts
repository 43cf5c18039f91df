/**
 * When a callback is due, read in the customer's local time: the quick picks and the times an agent
 * types. Pure: the instant "now" and the zone come in, an instant goes out; the wall clock of a zone
 * is the calling-hours rule's own (compliance/rules/calling-window.ts), daylight saving included.
 */
import { WEEKDAYS, instantsOfWallTime, localTime, wallClock } from '../compliance/rules/calling-window';

export type CallbackPick = 'in_an_hour' | 'tomorrow_morning';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** "Tomorrow morning" is 09:00 on the customer's next day. */
export const MORNING_MINUTES = 9 * 60;

/**
 * The instant a wall time names in a zone. Around a daylight-saving change a wall time is read
 * twice (the earlier reading is taken) or skipped (the instant just after the skipped span is).
 */
export function instantOfWallTime(wallMs: number, zone: string): number {
  const readings = instantsOfWallTime(wallMs, zone);
  const exact = readings.filter((t) => localTime(t, zone).wallMs === wallMs).sort((a, b) => a - b);
  return exact[0] ?? Math.max(...readings);
}

/** The start of the local day `at` falls on, as a wall time (the local date read as if it were UTC). */
function localMidnight(at: number, zone: string): number {
  const { wallMs } = localTime(at, zone);
  return wallMs - (wallMs % DAY_MS);
}

/** The instant of a quick pick: an hour from now, or 09:00 tomorrow in the customer's zone. */
export function pickedTime(pick: CallbackPick, now: number, zone: string): number {
  if (pick === 'in_an_hour') return now + HOUR_MS;
  return instantOfWallTime(localMidnight(now, zone) + DAY_MS + MORNING_MINUTES * MINUTE_MS, zone);
}

export type TypedTime = { ok: true; at: number } | { ok: false; problem: 'unreadable' | 'no_such_date' };

/** `14:30`, `today 14:30`, `tomorrow 10:00`, `2026-12-07 09:30` (or `…T09:30`); a dot may part hours and minutes. */
const TYPED = /^(?:(today|tomorrow)\s+|(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|t))?(\d{1,2})[:.](\d{2})$/i;

/**
 * A time an agent typed, read in the customer's zone. A bare time is today's (a time already past
 * is the caller's to refuse, not silently moved to tomorrow: the agent says `tomorrow` if they mean it).
 */
export function readTypedTime(text: string, now: number, zone: string): TypedTime {
  const m = TYPED.exec(text.trim().replace(/\s+/g, ' '));
  if (!m) return { ok: false, problem: 'unreadable' };
  const hour = Number(m[5]);
  const minute = Number(m[6]);
  if (hour > 23 || minute > 59) return { ok: false, problem: 'unreadable' };
  let day: number;
  if (m[2] !== undefined) {
    const [year, month, date] = [Number(m[2]), Number(m[3]), Number(m[4])];
    day = Date.UTC(year, month - 1, date);
    const back = new Date(day);
    // Date.UTC rolls 2026-02-30 over into March: such a date does not exist.
    if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== date) return { ok: false, problem: 'no_such_date' };
  } else {
    day = localMidnight(now, zone) + (m[1]?.toLowerCase() === 'tomorrow' ? DAY_MS : 0);
  }
  return { ok: true, at: instantOfWallTime(day + (hour * 60 + minute) * MINUTE_MS, zone) };
}

/** An instant as the customer's wall clock shows it: what the agent reads in confirmations and lists. */
export interface LocalWallTime {
  zone: string;
  /** 2026-12-07 */
  date: string;
  /** 09:30 */
  time: string;
  /** Monday */
  weekday: string;
}

export function localWallTime(at: number, zone: string): LocalWallTime {
  const local = localTime(at, zone);
  return { zone, date: new Date(local.wallMs).toISOString().slice(0, 10), time: wallClock(local.minutes), weekday: WEEKDAYS[local.weekday] ?? '' };
}
