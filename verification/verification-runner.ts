import type { Subscription } from 'rxjs';
import type { Logger } from '../config/logger';
import {
  type VerificationEffect, type VerificationEvent, type VerificationPlan, type VerificationReport, type VerificationState,
  type VerificationTimer, initialVerificationState, verificationTransition,
} from './verification-machine';
import { toVerificationEvent } from './verification-events';
import { type AriPort, isChannelEvent } from '../ari/ari-port';
import { EffectInterpreter, type OwnEffect, type Run, failureText } from '../engine/effect-interpreter';
import type { TeardownRetryPolicy } from '../engine/teardown-retry';

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
  report: (report: VerificationReport) => void;
}

const VERIFICATION_MACHINE = {
  transition: verificationTransition,
  ended: (state: VerificationState) => state.stage === 'ended',
  timerExpired: (timer: VerificationTimer, at: number): VerificationEvent => ({ type: 'TimerExpired', timer, at }),
};

/**
 * Executes the verification machine's effects over ARI and feeds back what Asterisk says about
 * each verification channel; like the call runner, it holds no logic of its own, and leaves timers,
 * the hang-up's retries and the end of a run to the shared interpreter (engine/effect-interpreter.ts).
 * Its channels are its own: it tells the call engine's orphan sweep which ones are live (until
 * Asterisk confirms their hang-up), and the engine's event routing ignores them because no call owns them.
 */
export class VerificationRunner {
  private readonly live = new Map<string, LiveVerification>();
  private readonly now: () => number;
  private readonly interpreter: EffectInterpreter<VerificationState, VerificationEvent, VerificationEffect, VerificationTimer, LiveVerification, undefined>;
  private subscription?: Subscription;

  constructor(private readonly deps: VerificationRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.interpreter = new EffectInterpreter({
      machine: VERIFICATION_MACHINE,
      execute: (live, effect, run) => this.execute(live, effect, run),
      forget: (live) => this.live.delete(live.state.plan.channelId),
      describe: (live) => ({ verificationId: live.state.plan.verificationId, channelId: live.state.plan.channelId }),
      logger: deps.logger,
      now: this.now,
      ...(deps.teardownRetry ? { teardownRetry: deps.teardownRetry } : {}),
    });
  }

  /** Follows ARI's events; verification calls can be placed once started. */
  start(): void {
    this.subscription ??= this.deps.ari.events.subscribe((event) => {
      if (!isChannelEvent(event)) return;
      const live = this.live.get(event.channelId);
      const verificationEvent = live ? toVerificationEvent(event, this.now()) : undefined;
      if (!live || !verificationEvent) return;
      // What happened, never which key: the digits are compared, not kept.
      this.deps.logger.debug('verification call event', { verificationId: live.state.plan.verificationId, event: verificationEvent.type, stage: live.state.stage });
      this.interpreter.dispatch(live, verificationEvent);
    });
  }

  /** Places one verification call; resolves with its report once it has ended, whatever the reason. */
  run(plan: VerificationPlan): Promise<VerificationReport> {
    return new Promise((resolve) => {
      const live: LiveVerification = { state: initialVerificationState(plan), report: resolve };
      this.live.set(plan.channelId, live);
      this.interpreter.begin(live, undefined);
      this.interpreter.dispatch(live, { type: 'Started', at: this.now() });
    });
  }

  /** Ends a live verification call (its number left the pool, or the service stops). */
  cancel(verificationId: string): boolean {
    const live = [...this.live.values()].find((v) => v.state.plan.verificationId === verificationId && v.state.stage !== 'ended');
    if (!live) return false;
    this.interpreter.dispatch(live, { type: 'Cancel', at: this.now() });
    return true;
  }

  /** The channels of verification calls that are live or still being hung up: not orphans. */
  ownedChannelIds(): ReadonlySet<string> {
    return new Set(this.live.keys());
  }

  /** Ends every live verification and waits for their hang-ups (a bounded wait: teardown gives up in time). */
  async stop(): Promise<void> {
    for (const live of [...this.live.values()]) {
      if (live.state.stage !== 'ended') this.interpreter.dispatch(live, { type: 'Cancel', at: this.now() });
    }
    await this.interpreter.settled();
    this.interpreter.stopTimers();
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private execute(live: LiveVerification, effect: OwnEffect<VerificationEffect>, run: Run<VerificationTimer, undefined>): void {
    const { ari, app } = this.deps;
    switch (effect.type) {
      case 'Originate': {
        const request = ari.originate({
          channelId: effect.channelId, endpoint: effect.endpoint, app, appArgs: effect.appArgs, callerId: effect.callerId, timeoutS: effect.timeoutS,
        });
        this.interpreter.failOnError(live, request, (err, at) => {
          this.deps.logger.warn('verification call could not be placed', { verificationId: live.state.plan.verificationId, err });
          return { type: 'RequestFailed', request: 'originate', error: failureText(err), at };
        });
        return;
      }
      case 'Hangup':
        run.teardown.push(this.interpreter.tearDown(live, 'hang up', () => ari.hangup(effect.channelId)));
        return;
      case 'Report':
        live.report(effect.report);
        return;
    }
  }
}
