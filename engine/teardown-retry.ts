/**
 * Teardown requests (hang up a leg, destroy a bridge, stop a playback) must not be lost to one
 * failed answer: a channel left up holds a trunk line, and a bridge lives until it is deleted. The
 * port already counts "not found" as done, so every rejection here is worth another try, including
 * "ARI is not connected" while the connection is being re-established.
 */

export interface TeardownRetryPolicy {
  /** Wait before the second try; doubled after each failure up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** After this long the request is left to the orphan sweep. */
  giveUpAfterMs: number;
}

export const DEFAULT_TEARDOWN_RETRY: TeardownRetryPolicy = { firstDelayMs: 250, maxDelayMs: 5_000, giveUpAfterMs: 60_000 };

export type TeardownResult = 'done' | 'gave_up' | 'stopped';

export interface TeardownObserver {
  /** A try failed and another follows in `inMs`. */
  retrying(attempt: number, err: unknown, inMs: number): void;
  gaveUp(attempts: number, err: unknown): void;
}

/** Runs `request` until it succeeds, the policy's time is up, or `signal` aborts; never rejects. */
export async function retryTeardown(
  request: () => Promise<void>,
  policy: TeardownRetryPolicy,
  signal: AbortSignal,
  observer: TeardownObserver,
  now: () => number = Date.now,
): Promise<TeardownResult> {
  const deadline = now() + policy.giveUpAfterMs;
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await request();
      return 'done';
    } catch (err) {
      if (signal.aborted) return 'stopped';
      const wait = Math.min(delay, Math.max(0, deadline - now()));
      if (wait <= 0) {
        observer.gaveUp(attempt, err);
        return 'gave_up';
      }
      observer.retrying(attempt, err, wait);
      if (!(await sleep(wait, signal))) return 'stopped';
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      resolve(false);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
