/**
 * The environment variables of the compliance rules (calling hours, attempt caps, route limits)
 * and what they become in the Config; config.ts merges them into its schema.
 */
import { z } from 'zod';
import type { RouteCode } from '../call/call-types';

/** One day's window, in minutes after local midnight: open from `open` up to (not at) `close`. */
export interface DailyHours {
  open: number;
  close: number;
}

/** Indexed by weekday as Date.getDay counts them (Sunday first); null: no calls that day. */
export type WeeklyHours = readonly (DailyHours | null)[];

export const MINUTES_PER_DAY = 24 * 60;

export interface RouteLimits {
  /** Calls live on the route at once (the trunk's channel limit); null: no limit. */
  maxCalls: number | null;
  /** Call set-ups a second on the route; null: no limit. */
  callsPerS: number | null;
}

export interface ComplianceSettings {
  /** In the customer's local time. */
  callingHours: WeeklyHours;
  /** Null: that cap is off. */
  callCaps: { numberPerDay: number | null; numberPer7Days: number | null; agentPerHour: number | null; agentPerDay: number | null };
  routeLimits: Record<RouteCode, RouteLimits>;
  /** The longest a call waits for its set-up slot before it is refused instead. */
  routeRateMaxWaitMs: number;
}

const HOURS_SYNTAX = 'expects HH:MM-HH:MM in 24-hour time such as 08:00-21:00, or closed';
const TIME = /^(\d{2}):(\d{2})$/;

/** `08:00-21:00` (24:00 may end a day), or `closed`; a window never runs past midnight. */
export function parseDailyHours(text: string): { ok: true; hours: DailyHours | null } | { ok: false; problem: string } {
  const value = text.trim().toLowerCase();
  if (value === 'closed') return { ok: true, hours: null };
  const ends = value.split(/\s*[-–]\s*/);
  if (ends.length !== 2) return { ok: false, problem: HOURS_SYNTAX };
  const [open, close] = ends.map((end) => {
    const m = TIME.exec(end);
    if (!m) return undefined;
    const minutes = Number(m[1]) * 60 + Number(m[2]);
    return Number(m[2]) < 60 && minutes <= MINUTES_PER_DAY ? minutes : undefined;
  });
  if (open === undefined || close === undefined) return { ok: false, problem: `${HOURS_SYNTAX} (hours 00-24, minutes 00-59)` };
  if (open >= close) return { ok: false, problem: 'expects the opening time before the closing time (a window cannot run past midnight; use 24:00 to end a day)' };
  return { ok: true, hours: { open, close } };
}

const dailyHours = z.string().transform((v, ctx) => {
  const parsed = parseDailyHours(v);
  if (!parsed.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.problem });
    return z.NEVER;
  }
  return parsed.hours;
});

/** A count limit, or `off`. */
const cap = (dflt: number | null) => z.string().trim().toLowerCase()
  .default(dflt === null ? 'off' : String(dflt))
  .transform((v, ctx) => {
    if (v === 'off') return null;
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects a whole number of calls (1 or more), or off' });
      return z.NEVER;
    }
    return Number(v);
  });

const perSecond = z.string().trim().optional().transform((v, ctx) => {
  if (v === undefined) return null;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0) || n > 10000) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects calls a second, a number above 0 such as 5 or 0.5' });
    return z.NEVER;
  }
  return n;
});

/** Weekday variables in Date.getDay order, each overriding CALLING_HOURS on its day. */
const WEEKDAY_VARS = ['CALLING_HOURS_SUN', 'CALLING_HOURS_MON', 'CALLING_HOURS_TUE', 'CALLING_HOURS_WED', 'CALLING_HOURS_THU', 'CALLING_HOURS_FRI', 'CALLING_HOURS_SAT'] as const;

export const complianceEnv = {
  CALLING_HOURS: dailyHours.default('08:00-21:00'),
  CALLING_HOURS_SUN: dailyHours.optional(),
  CALLING_HOURS_MON: dailyHours.optional(),
  CALLING_HOURS_TUE: dailyHours.optional(),
  CALLING_HOURS_WED: dailyHours.optional(),
  CALLING_HOURS_THU: dailyHours.optional(),
  CALLING_HOURS_FRI: dailyHours.optional(),
  CALLING_HOURS_SAT: dailyHours.optional(),
  CAP_NUMBER_PER_DAY: cap(3),
  CAP_NUMBER_PER_7_DAYS: cap(7),
  CAP_AGENT_PER_HOUR: cap(null),
  CAP_AGENT_PER_DAY: cap(null),
  ROUTE_MAIN_MAX_CALLS: cap(null),
  ROUTE_DEV_MAX_CALLS: cap(null),
  ROUTE_MAIN_CALLS_PER_S: perSecond,
  ROUTE_DEV_CALLS_PER_S: perSecond,
  ROUTE_RATE_MAX_WAIT_S: z.coerce.number({ invalid_type_error: 'expects seconds' })
    .min(0, 'expects seconds from 0 to 60').max(60, 'expects seconds from 0 to 60').default(5),
};

type ComplianceEnv = z.infer<z.ZodObject<typeof complianceEnv>>;

export function complianceSettings(v: ComplianceEnv): ComplianceSettings {
  return {
    callingHours: WEEKDAY_VARS.map((name) => (v[name] !== undefined ? v[name] : v.CALLING_HOURS)),
    callCaps: {
      numberPerDay: v.CAP_NUMBER_PER_DAY,
      numberPer7Days: v.CAP_NUMBER_PER_7_DAYS,
      agentPerHour: v.CAP_AGENT_PER_HOUR,
      agentPerDay: v.CAP_AGENT_PER_DAY,
    },
    routeLimits: {
      M: { maxCalls: v.ROUTE_MAIN_MAX_CALLS, callsPerS: v.ROUTE_MAIN_CALLS_PER_S },
      D: { maxCalls: v.ROUTE_DEV_MAX_CALLS, callsPerS: v.ROUTE_DEV_CALLS_PER_S },
    },
    routeRateMaxWaitMs: Math.round(v.ROUTE_RATE_MAX_WAIT_S * 1000),
  };
}
