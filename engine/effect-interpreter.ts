/**
 * What every interpreter of a pure machine (the call's, the caller-ID verification's) does the same
 * way, written once: feed an event to the machine, carry out its effects, run its timers, retry its
 * teardown until Asterisk confirms it, turn a failed request into an event, and forget a run once it
 * has ended and its teardown has settled. The effects only one machine has (ARI requests, row
 * writes, reports) are its runner's, through `execute`.
 */
import type { Logger } from '../config/logger';
import { AriRequestError } from '../ari/ari-port';
import { DEFAULT_TEARDOWN_RETRY, type TeardownRetryPolicy, retryTeardown } from './teardown-retry';

/** The timer effects every interpreted machine has; the interpreter runs them itself. */
export type TimerEffect<T> = { type: 'StartTimer'; timer: T; ms: number } | { type: 'CancelTimer'; timer: T };

/** The effects a runner carries out itself: all but the timers. */
export type OwnEffect<F> = Exclude<F, { type: 'StartTimer' | 'CancelTimer' }>;

export interface InterpretedMachine<S, E, F, T> {
  transition(state: S, event: E): { state: S; effects: readonly F[] };
  ended(state: S): boolean;
  /** The event a timer's expiry is for the machine. */
  timerExpired(timer: T, at: number): E;
}

/** The interpreter's part of one run: its timers, its teardown in flight, and what its runner keeps for it. */
export interface Run<T, O> {
  readonly timers: Map<T, NodeJS.Timeout>;
  /** Teardown requests (retried) and whatever the run's end must wait for. */
  readonly teardown: Promise<unknown>[];
  readonly own: O;
}

export interface EffectInterpreterDeps<S, E, F extends { type: string }, T, H extends { state: S }, O> {
  machine: InterpretedMachine<S, E, F, T>;
  /** Carries out one of the machine's own effects for the run `holder` (whose `state` is already the new one). */
  execute(holder: H, effect: OwnEffect<F>, run: Run<T, O>): void;
  /** What else an ended run waits for before it is forgotten (its row writes). */
  settling?(holder: H): Promise<unknown>;
  /** The run ended and everything it waited for has settled: its runner lets go of it. */
  forget(holder: H): void;
  /** The log fields that name a run. */
  describe(holder: H): Record<string, unknown>;
  logger: Logger;
  now: () => number;
  teardownRetry?: TeardownRetryPolicy;
}

/**
 * Interprets the runs of one machine. A run's state lives in its holder (the registry's live call,
 * the verification's entry), so the rest of the app reads it where it always did.
 */
export class EffectInterpreter<S, E, F extends { type: string }, T, H extends { state: S }, O> {
  private readonly runs = new Map<H, Run<T, O>>();
  /** Requests sent and not yet answered: a run's machine still hears how each ends. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Aborted at shutdown: teardown still failing then is left to the next start's orphan sweep. */
  private stopping = new AbortController();

  constructor(private readonly deps: EffectInterpreterDeps<S, E, F, T, H, O>) {}

  /** Starts following a run; its events come through dispatch. */
  begin(holder: H, own: O): void {
    this.runs.set(holder, { timers: new Map(), teardown: [], own });
  }

  /** Feeds one event to the run's machine and carries out what it decides. */
  dispatch(holder: H, event: E): void {
    const before = holder.state;
    const { state, effects } = this.deps.machine.transition(before, event);
    if (state === before && effects.length === 0) return;
    holder.state = state;
    const run = this.runs.get(holder);
    if (!run) return;
    for (const effect of effects) this.execute(holder, run, effect);
    if (this.deps.machine.ended(state) && !this.deps.machine.ended(before)) this.finish(holder, run);
  }

  /** Carries out effects decided outside dispatch (a call taken over), and finishes the run if it has ended. */
  carryOut(holder: H, effects: readonly F[]): void {
    const run = this.runs.get(holder);
    if (!run) return;
    for (const effect of effects) this.execute(holder, run, effect);
    if (this.deps.machine.ended(holder.state)) this.finish(holder, run);
  }

  /** When `request` fails, the run's machine hears of it as the event `toEvent` makes (it may log why). */
  failOnError(holder: H, request: Promise<unknown>, toEvent: (err: unknown, at: number) => E): void {
    const answered = request.then(() => undefined, (err: unknown) => this.dispatch(holder, toEvent(err, this.deps.now())));
    this.inFlight.add(answered);
    void answered.finally(() => this.inFlight.delete(answered));
  }

  /** A teardown request, retried until Asterisk confirms it (see teardown-retry.ts); never rejects. */
  tearDown(holder: H, request: string, send: () => Promise<void>): Promise<unknown> {
    const { logger } = this.deps;
    const named = this.deps.describe(holder);
    return retryTeardown(send, this.deps.teardownRetry ?? DEFAULT_TEARDOWN_RETRY, this.stopping.signal, {
      retrying: (attempt, err, inMs) => {
        const log = attempt === 1 ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log('ARI teardown request failed; retrying', { ...named, request, attempt, inMs, err });
      },
      gaveUp: (attempts, err) => logger.warn('ARI teardown request still failing; the orphan sweep will clean up', { ...named, request, attempts, err }),
    }, this.deps.now);
  }

  /** Stops every timer and every teardown retry: after this no run changes by itself (shutdown). */
  stopTimers(): void {
    this.stopping.abort();
    this.stopping = new AbortController();
    for (const run of this.runs.values()) {
      for (const timer of run.timers.values()) clearTimeout(timer);
      run.timers.clear();
    }
  }

  /**
   * Waits until every request sent has been answered (and a failed one heard by its machine) and
   * every run's teardown has settled, including teardown that such an answer started.
   */
  async settled(): Promise<void> {
    for (;;) {
      const waiting = [...this.inFlight, ...[...this.runs.values()].flatMap((run) => run.teardown)];
      await Promise.allSettled(waiting);
      if (this.inFlight.size === 0) return;
    }
  }

  private execute(holder: H, run: Run<T, O>, effect: F): void {
    if (isTimerEffect<T>(effect)) {
      clearTimeout(run.timers.get(effect.timer));
      if (effect.type === 'CancelTimer') {
        run.timers.delete(effect.timer);
        return;
      }
      const { timer } = effect;
      run.timers.set(timer, setTimeout(() => {
        run.timers.delete(timer);
        this.dispatch(holder, this.deps.machine.timerExpired(timer, this.deps.now()));
      }, Math.max(0, effect.ms)));
      return;
    }
    this.deps.execute(holder, effect as OwnEffect<F>, run);
  }

  private finish(holder: H, run: Run<T, O>): void {
    for (const timer of run.timers.values()) clearTimeout(timer);
    run.timers.clear();
    void Promise.allSettled([...run.teardown, this.deps.settling?.(holder)]).then(() => {
      this.runs.delete(holder);
      this.deps.forget(holder);
    });
  }
}

function isTimerEffect<T>(effect: { type: string }): effect is TimerEffect<T> {
  return effect.type === 'StartTimer' || effect.type === 'CancelTimer';
}

/** What Asterisk answered to a failed request, or the error's own message. */
export function failureText(err: unknown): string {
  if (err instanceof AriRequestError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
