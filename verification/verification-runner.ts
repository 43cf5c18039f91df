import type { Subscription } from 'rxjs';
import type { Logger } from '../config/logger';
import {
  type VerificationEffect, type VerificationEvent, type VerificationPlan, type VerificationReport, type VerificationState,
  type VerificationTimer, initialVerificationState, verificationTransition,
} from './verification-machine';
import { toVerificationEvent } from './verification-events';
import { type AriPort, AriRequestError } from '../ari/ari-port';
import { DEFAULT_TEARDOWN_RETRY, type TeardownRetryPolicy, retryTeardown } from '../engine/teardown-retry';

/** Every verification channel's id starts so: the call engine's own ids never do (call/call-ids.ts). */
export const VERIFICATION_CHANNEL_PREFIX = 'verify-';

export interface VerificationRunnerDeps {
  ari: AriPort;
  app: string;
  logger: Logger;
  now?: () => number;
  teardownRetry?: TeardownRetryPolicy;
}

interface LiveVerification {
  state: VerificationState;
  timers: Map<VerificationTimer, NodeJS.Timeout>;
  /** The hang-up, while it is retried: the channel stays ours until Asterisk confirms it. */
  teardown?: Promise<unknown>;
  report: (report: VerificationReport) => void;
}

/**
 * Executes the verification machine's effects over ARI and feeds back what Asterisk says about
 * each verification channel; like the call runner, it holds no logic of its own. Its channels are
 * its own: it tells the call engine's orphan sweep which ones are live, and the engine's event
 * routing ignores them because no call owns them.
 */
export class VerificationRunner {
  private readonly live = new Map<string, LiveVerification>();
  private readonly now: () => number;
  private subscription?: Subscription;
  private stopping = new AbortController();

  constructor(private readonly deps: VerificationRunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Follows ARI's events; verification calls can be placed once started. */
  start(): void {
    this.subscription ??= this.deps.ari.events.subscribe((event) => {
      const live = this.live.get(event.channelId);
      const verificationEvent = live ? toVerificationEvent(event, this.now()) : undefined;
      if (!live || !verificationEvent) return;
      // What happened, never which key: the digits are compared, not kept.
      this.deps.logger.debug('verification call event', { verificationId: live.state.plan.verificationId, event: verificationEvent.type, stage: live.state.stage });
      this.dispatch(live, verificationEvent);
    });
  }

  /** Places one verification call; resolves with its report once it has ended, whatever the reason. */
  run(plan: VerificationPlan): Promise<VerificationReport> {
    return new Promise((resolve) => {
      const live: LiveVerification = { state: initialVerificationState(plan), timers: new Map(), report: resolve };
      this.live.set(plan.channelId, live);
      this.dispatch(live, { type: 'Started', at: this.now() });
    });
  }

  /** Ends a live verification call (its number left the pool, or the service stops). */
  cancel(verificationId: string): boolean {
    const live = [...this.live.values()].find((v) => v.state.plan.verificationId === verificationId && v.state.stage !== 'ended');
    if (!live) return false;
    this.dispatch(live, { type: 'Cancel', at: this.now() });
    return true;
  }

  /** The channels of verification calls that are live or still being hung up: not orphans. */
  ownedChannelIds(): ReadonlySet<string> {
    return new Set(this.live.keys());
  }

  /** Ends every live verification and waits for their hang-ups (a bounded wait: teardown gives up in time). */
  async stop(): Promise<void> {
    for (const live of [...this.live.values()]) {
      if (live.state.stage !== 'ended') this.dispatch(live, { type: 'Cancel', at: this.now() });
    }
    await Promise.allSettled([...this.live.values()].map((v) => v.teardown));
    this.stopping.abort();
    this.stopping = new AbortController();
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private dispatch(live: LiveVerification, event: VerificationEvent): void {
    const before = live.state;
    const { state, effects } = verificationTransition(before, event);
    live.state = state;
    for (const effect of effects) this.execute(live, effect);
    if (state.stage === 'ended' && before.stage !== 'ended') this.finish(live);
  }

  private execute(live: LiveVerification, effect: VerificationEffect): void {
    const { ari, app } = this.deps;
    switch (effect.type) {
      case 'Originate':
        ari.originate({ channelId: effect.channelId, endpoint: effect.endpoint, app, appArgs: effect.appArgs, callerId: effect.callerId, timeoutS: effect.timeoutS })
          .catch((err: unknown) => {
            const error = err instanceof AriRequestError ? err.detail : err instanceof Error ? err.message : String(err);
            this.deps.logger.warn('verification call could not be placed', { verificationId: live.state.plan.verificationId, err });
            this.dispatch(live, { type: 'RequestFailed', request: 'originate', error, at: this.now() });
          });
        return;
      case 'Hangup':
        live.teardown = retryTeardown(() => ari.hangup(effect.channelId), this.deps.teardownRetry ?? DEFAULT_TEARDOWN_RETRY, this.stopping.signal, {
          retrying: (attempt, err, inMs) => this.deps.logger.debug('hanging up a verification call failed; retrying', { channelId: effect.channelId, attempt, inMs, err }),
          gaveUp: (attempts, err) => this.deps.logger.warn('hanging up a verification call still fails; the orphan sweep will', { channelId: effect.channelId, attempts, err }),
        }, this.now);
        return;
      case 'StartTimer': {
        clearTimeout(live.timers.get(effect.timer));
        const timer = effect.timer;
        live.timers.set(timer, setTimeout(() => {
          live.timers.delete(timer);
          this.dispatch(live, { type: 'TimerExpired', timer, at: this.now() });
        }, Math.max(0, effect.ms)));
        return;
      }
      case 'CancelTimer':
        clearTimeout(live.timers.get(effect.timer));
        live.timers.delete(effect.timer);
        return;
      case 'Report':
        live.report(effect.report);
        return;
    }
  }

  private finish(live: LiveVerification): void {
    for (const timer of live.timers.values()) clearTimeout(timer);
    live.timers.clear();
    const { channelId } = live.state.plan;
    void Promise.resolve(live.teardown).then(() => this.live.delete(channelId));
  }
}
