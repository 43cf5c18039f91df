/**
 * The environment variables of return calls (a customer calling a pool number back reaches the
 * agent who called them) and what they become in the Config; config.ts merges them into its schema.
 */
import { z } from 'zod';

export interface ReturnCallConfig {
  /** How far back a customer's earlier calls count to find the agent who called them (RETURN_CALL_WINDOW_DAYS). */
  windowDays: number;
  /** How long each agent's phone rings before the next agent is tried (RETURN_CALL_RING_TIMEOUT_S). */
  ringTimeoutS: number;
  /** What the customer hears when nobody answers, as Asterisk media (RETURN_CALL_MISSED_MESSAGE). */
  missedMessage: string;
  /** What the agent hears on answering, before the customer is joined: nothing, a beep, or the customer's number read out (RETURN_CALL_ANNOUNCE). */
  agentAnnouncement: 'off' | 'tone' | 'digits';
}

const whole = (min: number, max: number, dflt: number, what: string) => z.string().trim().optional().transform((v, ctx) => {
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expects ${what} from ${min} to ${max}` });
    return z.NEVER;
  }
  return Number(v);
});

export const returnCallEnv = {
  RETURN_CALL_WINDOW_DAYS: whole(1, 365, 30, 'a whole number of days'),
  RETURN_CALL_RING_TIMEOUT_S: whole(5, 120, 20, 'a whole number of seconds'),
  // One media URI: a comma would split ARI's media list, a space or a quote has no place in one.
  RETURN_CALL_MISSED_MESSAGE: z.string().trim().default('sound:vm-nobodyavail')
    .refine((v) => /^(sound|tone|recording|digits|number):[^\s,"']{1,200}$/.test(v), 'expects one Asterisk media URI such as sound:vm-nobodyavail'),
  RETURN_CALL_ANNOUNCE: z.string().trim().toLowerCase().default('off')
    .pipe(z.enum(['off', 'tone', 'digits'], { errorMap: () => ({ message: 'expects off, tone or digits' }) })),
};

type ReturnCallEnv = z.infer<z.ZodObject<typeof returnCallEnv>>;

export function returnCallSettings(v: ReturnCallEnv): ReturnCallConfig {
  return {
    windowDays: v.RETURN_CALL_WINDOW_DAYS, ringTimeoutS: v.RETURN_CALL_RING_TIMEOUT_S, missedMessage: v.RETURN_CALL_MISSED_MESSAGE,
    agentAnnouncement: v.RETURN_CALL_ANNOUNCE,
  };
}
