/**
 * The environment variables of the signed webhooks out (call events POSTed to the URLs super admins
 * register with /webhooks) and what they become in the Config; config.ts merges them into its schema.
 */
import { z } from 'zod';

export interface WebhookSettings {
  /** A receiver that has not answered in this long has failed the attempt. */
  timeoutMs: number;
  /** Deliveries in flight at once, per instance. */
  concurrency: number;
  /** Failed deliveries are retried at least this long after their event, then given up. */
  retryForMs: number;
  /** The longest wait between two attempts. */
  maxRetryDelayMs: number;
  /** Delivered and given-up rows are kept this long (what /webhooks counts), then deleted. */
  keepFinishedMs: number;
}

const whole = (dflt: number, min: number, max: number, what: string) => z.string().trim().default(String(dflt)).transform((v, ctx) => {
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expects ${what} from ${min} to ${max}` });
    return z.NEVER;
  }
  return Number(v);
});

export const webhookEnv = {
  EVENT_WEBHOOK_TIMEOUT_MS: whole(10000, 1000, 120000, 'whole milliseconds'),
  EVENT_WEBHOOK_CONCURRENCY: whole(16, 1, 256, 'a whole number of requests'),
  // At least a day: a receiver down over a weekend night still gets every event.
  EVENT_WEBHOOK_RETRY_HOURS: whole(24, 24, 720, 'whole hours'),
  EVENT_WEBHOOK_MAX_RETRY_DELAY_S: whole(3600, 10, 21600, 'whole seconds'),
  EVENT_WEBHOOK_KEEP_DAYS: whole(7, 1, 365, 'whole days'),
};

type WebhookEnv = z.infer<z.ZodObject<typeof webhookEnv>>;

export function webhookSettings(v: WebhookEnv): WebhookSettings {
  return {
    timeoutMs: v.EVENT_WEBHOOK_TIMEOUT_MS,
    concurrency: v.EVENT_WEBHOOK_CONCURRENCY,
    retryForMs: v.EVENT_WEBHOOK_RETRY_HOURS * 3_600_000,
    maxRetryDelayMs: v.EVENT_WEBHOOK_MAX_RETRY_DELAY_S * 1000,
    keepFinishedMs: v.EVENT_WEBHOOK_KEEP_DAYS * 86_400_000,
  };
}
