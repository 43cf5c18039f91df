/**
 * The environment variables of the reports (the daily report to super admins, the time zone the
 * figures are counted in) and what they become in the Config; config.ts merges them into its schema.
 */
import { z } from 'zod';

export interface ReportSettings {
  /** The IANA time zone days and hours of the figures are counted in (and the daily report's hour read in). */
  timeZone: string;
  /** The local hour (0-23) the daily report goes to the super admins; null: no daily report. */
  dailyHour: number | null;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const reportEnv = {
  REPORT_TIME_ZONE: z.string().trim().default('UTC').refine(isTimeZone, 'expects an IANA time zone such as Europe/Berlin or America/New_York'),
  DAILY_REPORT_HOUR: z.string().trim().optional().transform((v, ctx) => {
    if (v === undefined) return null;
    if (!/^\d{1,2}$/.test(v) || Number(v) > 23) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects a whole hour from 0 to 23' });
      return z.NEVER;
    }
    return Number(v);
  }),
};

type ReportEnv = z.infer<z.ZodObject<typeof reportEnv>>;

export function reportSettings(v: ReportEnv): ReportSettings {
  return { timeZone: v.REPORT_TIME_ZONE, dailyHour: v.DAILY_REPORT_HOUR };
}
