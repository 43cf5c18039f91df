/** How long failed deliveries are retried, and how the waits between attempts grow. */
export interface RetrySchedule {
  /** The wait after the first failed attempt. */
  firstDelayMs: number;
  /** No wait grows past this. */
  maxDelayMs: number;
  /** Retried at least this long after the event; the first failure after it gives the delivery up. */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { firstDelayMs: 5_000, maxDelayMs: 3_600_000, giveUpAfterMs: 24 * 3_600_000 };

/**
 * After `attempts` failed attempts: give up, or the wait before the next one. The wait doubles up to
 * its cap and is then drawn from its upper half (`random` in [0, 1)), so receivers coming back after
 * an outage do not get every queue's retry in the same second.
 */
export function nextAttempt(
  schedule: RetrySchedule, attempts: number, createdAt: number, now: number, random: () => number,
): { kind: 'give_up' } | { kind: 'retry'; delayMs: number } {
  if (now - createdAt >= schedule.giveUpAfterMs) return { kind: 'give_up' };
  const exponent = Math.min(attempts - 1, 30);
  const capped = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** exponent);
  return { kind: 'retry', delayMs: Math.round(capped / 2 + random() * (capped / 2)) };
}
