/**
 * The environment variables of the abuse alerts (call rate, runs of short calls, repeated refusals)
 * and what they become in the Config; config.ts merges them into its schema.
 */
import { z } from 'zod';

/** When an agent's calling looks like abuse; a null measure is off. */
export interface AlertThresholds {
  /** Raised when an agent has placed more than `calls` calls in the last `windowMs`. */
  rate: { calls: number; windowMs: number } | null;
  /** Raised when `inARow` calls in a row ended with less than `underS` seconds of talk, or none. */
  shortCalls: { inARow: number; underS: number } | null;
  /** Raised when `count` requests were refused by a counted rule in the last `windowMs`. */
  refusals: { count: number; windowMs: number } | null;
  /** A repeat this soon after the last one is the same storm: one message, updated. */
  repeatWindowMs: number;
}

/** A whole number from 1 up to `max`, or `off` (that alert is not raised). */
const countOrOff = (dflt: number, what: string, max = 100000) => z.string().trim().toLowerCase()
  .default(String(dflt))
  .transform((v, ctx) => {
    if (v === 'off') return null;
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > max) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expects ${what} from 1 to ${max}, or off` });
      return z.NEVER;
    }
    return Number(v);
  });

/** Whole minutes from 1 to a week: a window has to be long enough to hold a storm and short enough to forget one. */
const minutes = (dflt: number) => z.string().trim().default(String(dflt)).transform((v, ctx) => {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 10080) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects whole minutes from 1 to 10080' });
    return z.NEVER;
  }
  return Number(v);
});

export const alertEnv = {
  ALERT_RATE_CALLS: countOrOff(20, 'a number of calls'),
  ALERT_RATE_WINDOW_MIN: minutes(10),
  ALERT_SHORT_CALLS_IN_A_ROW: countOrOff(10, 'a number of calls'),
  ALERT_SHORT_CALL_S: countOrOff(10, 'seconds of talk time', 3600),
  ALERT_REFUSALS: countOrOff(5, 'a number of refusals'),
  ALERT_REFUSALS_WINDOW_MIN: minutes(60),
  ALERT_REPEAT_WINDOW_MIN: minutes(30),
};

type AlertEnv = z.infer<z.ZodObject<typeof alertEnv>>;

const MINUTE_MS = 60_000;

export function alertSettings(v: AlertEnv): AlertThresholds {
  return {
    rate: v.ALERT_RATE_CALLS === null ? null : { calls: v.ALERT_RATE_CALLS, windowMs: v.ALERT_RATE_WINDOW_MIN * MINUTE_MS },
    // ALERT_SHORT_CALL_S=off turns the run off too: with no length, no call is short.
    shortCalls: v.ALERT_SHORT_CALLS_IN_A_ROW === null || v.ALERT_SHORT_CALL_S === null
      ? null : { inARow: v.ALERT_SHORT_CALLS_IN_A_ROW, underS: v.ALERT_SHORT_CALL_S },
    refusals: v.ALERT_REFUSALS === null ? null : { count: v.ALERT_REFUSALS, windowMs: v.ALERT_REFUSALS_WINDOW_MIN * MINUTE_MS },
    repeatWindowMs: v.ALERT_REPEAT_WINDOW_MIN * MINUTE_MS,
  };
}
