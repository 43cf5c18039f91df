import type { RecordingState } from '../entities';

/** The steps a recording goes through after its call, in order; each is retried on its own. */
export type RecordingStep = 'fetching' | 'sending' | 'cleaning';

/** How many times a step is tried, and how long the waits between tries grow. */
export interface RetryLimits {
  attempts: Record<RecordingStep, number>;
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * Asterisk may be restarting and Telegram may be throttling: a few tries over about a minute ride
 * that out; the removal from Asterisk matters least (the recording is already kept here).
 */
export const DEFAULT_RETRY_LIMITS: RetryLimits = {
  attempts: { fetching: 5, sending: 5, cleaning: 3 },
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
};

/** The step that follows each one when it succeeds. */
export const NEXT_STATE: Record<RecordingStep, RecordingState> = { fetching: 'sending', sending: 'cleaning', cleaning: 'kept' };

/**
 * What a failed attempt leads to: another try after a wait that doubles each time, or giving the
 * step up. A recording Asterisk could not give or ffmpeg could not convert has failed; one that
 * could not be sent is still kept (an admin can send it with /recording) and is removed from
 * Asterisk all the same; one that could not be removed from Asterisk is kept here too.
 */
export type AfterFailure =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'give-up'; state: RecordingState; tellAgent: boolean; nextStep?: RecordingStep };

export function afterFailure(step: RecordingStep, attemptsMade: number, limits: RetryLimits): AfterFailure {
  if (attemptsMade < limits.attempts[step]) {
    return { kind: 'retry', delayMs: Math.min(limits.maxDelayMs, limits.firstDelayMs * 2 ** (attemptsMade - 1)) };
  }
  switch (step) {
    case 'fetching': return { kind: 'give-up', state: 'failed', tellAgent: true };
    case 'sending': return { kind: 'give-up', state: 'cleaning', tellAgent: true, nextStep: 'cleaning' };
    case 'cleaning': return { kind: 'give-up', state: 'kept', tellAgent: false };
  }
}

/** A failure that no retry can mend (the WAV is not audio, the converted file is too large): given up at once. */
export function isLasting(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { lasting?: unknown }).lasting === true;
}
