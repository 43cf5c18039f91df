/**
 * Runs supervisions (call/supervision.ts) against Asterisk: carries out their effects, feeds ARI's
 * events about their channels back in, and ends every supervision of a call when the call ends.
 * It holds no decisions; which request goes when is the machine's, timers and teardown retries the
 * shared interpreter's (effect-interpreter.ts).
 *
 * A supervision's requests go out one after the other: each of its steps needs the one before (the
 * supervisor into a bridge just made, a snoop into it), and a supervisor waits a moment anyway.
 */
import { type Observable, Subject, Subscription } from 'rxjs';
import type { Logger } from '../config/logger';
import type { AriEvent, AriPort } from '../ari/ari-port';
import { isChannelEvent } from '../ari/ari-port';
import {
  SUPERVISION_BRIDGE_ID, SUPERVISION_CHANNEL_ID, type SupervisionEffect, type SupervisionEvent, type SupervisionMode, type SupervisionPlan,
  type SupervisionRecord, type SupervisionState, type SupervisionTimer, initialSupervisionState, supervisionTransition,
} from '../call/supervision';
import type { AuditTrail } from './call-engine-ports';
import { EffectInterpreter, type OwnEffect, type Run, failureText } from './effect-interpreter';
import type { TeardownRetryPolicy } from './teardown-retry';

/** One supervision as the bot sees it after each change. */
export interface SupervisionView {
  supervisionId: string;
  callId: string;
  supervisorTelegramId: string;
  stage: SupervisionState['stage'];
  mode: SupervisionMode;
  answeredAt?: number;
  endedAt?: number;
  end?: SupervisionState['end'];
}

export interface LiveSupervision {
  state: SupervisionState;
}

export interface SupervisionRunnerDeps {
  ari: AriPort;
  app: string;
  audit: AuditTrail;
  logger: Logger;
  now?: () => number;
  teardownRetry?: TeardownRetryPolicy;
  /**
   * Where a session's end is recorded once (cluster mode: on its request row, so that only the first
   * instance to end it audits it); true when this ending is the one to audit. Without it, every end is audited.
   */
  sessions?: { ended(record: SupervisionRecord): Promise<boolean> };
}

/** The tail of a supervision's requests: the next one goes once it has settled. */
interface Chain {
  tail: Promise<unknown>;
}

const SUPERVISION_MACHINE = {
  transition: supervisionTransition,
  ended: (state: SupervisionState) => state.stage === 'ended',
  timerExpired: (_timer: SupervisionTimer, at: number): SupervisionEvent => ({ type: 'RingTimerExpired', at }),
};

export function supervisionView(state: SupervisionState): SupervisionView {
  const { plan } = state;
  return {
    supervisionId: plan.supervisionId, callId: plan.callId, supervisorTelegramId: plan.supervisorTelegramId, stage: state.stage, mode: state.mode,
    ...(state.answeredAt !== undefined ? { answeredAt: state.answeredAt } : {}),
    ...(state.endedAt !== undefined ? { endedAt: state.endedAt } : {}),
    ...(state.end ? { end: state.end } : {}),
  };
}

export class SupervisionRunner {
  private readonly now: () => number;
  private readonly live = new Map<string, LiveSupervision>();
  private readonly changes = new Subject<SupervisionView>();
  private readonly interpreter: EffectInterpreter<SupervisionState, SupervisionEvent, SupervisionEffect, SupervisionTimer, LiveSupervision, Chain>;

  constructor(private readonly deps: SupervisionRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.interpreter = new EffectInterpreter({
      machine: SUPERVISION_MACHINE,
      execute: (holder, effect, run) => this.execute(holder, effect, run),
      forget: (holder) => this.live.delete(holder.state.plan.supervisionId),
      describe: (holder) => ({ supervisionId: holder.state.plan.supervisionId, callId: holder.state.plan.callId }),
      logger: deps.logger,
      now: this.now,
      ...(deps.teardownRetry ? { teardownRetry: deps.teardownRetry } : {}),
    });
  }

  /** Every change of every supervision (answered, mode switched, ended). */
  get updates(): Observable<SupervisionView> {
    return this.changes.asObservable();
  }

  start(plan: SupervisionPlan): SupervisionView {
    const holder: LiveSupervision = { state: initialSupervisionState(plan, this.now()) };
    this.live.set(plan.supervisionId, holder);
    this.interpreter.begin(holder, { tail: Promise.resolve() });
    this.interpreter.dispatch(holder, { type: 'SupervisionStarted', at: this.now() });
    return supervisionView(holder.state);
  }

  /** The supervision's state while it has not ended. */
  get(supervisionId: string): SupervisionState | undefined {
    const holder = this.live.get(supervisionId);
    return holder && holder.state.stage !== 'ended' ? holder.state : undefined;
  }

  /** Supervisions not ended. */
  list(): SupervisionState[] {
    return [...this.live.values()].map((h) => h.state).filter((s) => s.stage !== 'ended');
  }

  switchMode(supervisionId: string, mode: SupervisionMode): void {
    const holder = this.live.get(supervisionId);
    if (holder) this.interpreter.dispatch(holder, { type: 'ModeRequested', mode, at: this.now() });
  }

  leave(supervisionId: string): void {
    const holder = this.live.get(supervisionId);
    if (holder) this.interpreter.dispatch(holder, { type: 'EndRequested', at: this.now() });
  }

  /** The call has ended: so has every supervision of it. */
  callEnded(callId: string): void {
    for (const holder of [...this.live.values()]) {
      if (holder.state.plan.callId === callId) this.interpreter.dispatch(holder, { type: 'CallEnded', at: this.now() });
    }
  }

  /**
   * Follows the ARI connection the supervisions run on: its events, and each reconnect, after which
   * the supervisions are read back (`resync`). Unsubscribe to stop.
   */
  follow(ari: Pick<AriPort, 'events' | 'connection'>): Subscription {
    const followed = new Subscription();
    let wasConnected = false;
    followed.add(ari.events.subscribe((event) => this.handleAriEvent(event)));
    followed.add(ari.connection.subscribe((state) => {
      if (state !== 'connected') return;
      if (wasConnected) {
        void this.resync().catch((err: unknown) => this.deps.logger.warn('reading supervisions back after an ARI reconnect failed; the next reconnect tries again', { err }));
      }
      wasConnected = true;
    }));
    return followed;
  }

  /**
   * The events sent while ARI was disconnected are lost: each answered supervision's channels are
   * read again, and one gone meanwhile ends it as its ChannelDestroyed would have. A supervisor
   * still being rung is left to the ring timer, since their channel may not be made yet.
   */
  async resync(): Promise<void> {
    await Promise.all([...this.live.values()].map(async (holder) => {
      const { state } = holder;
      if (state.stage === 'ended' || state.supervisor.status !== 'up') return;
      const ids = [state.ids.supervisorChannelId, ...(state.snoop?.inStasis ? [state.snoop.channelId] : [])];
      const channels = await Promise.all(ids.map((id) => this.deps.ari.getChannel(id)));
      ids.forEach((channelId, i) => {
        if (channels[i] === null) this.interpreter.dispatch(holder, { type: 'ChannelEnded', channelId, at: this.now() });
      });
    }));
  }

  /** The ARI events about a supervision's channels; the rest are the calls'. */
  handleAriEvent(event: AriEvent): void {
    if (!isChannelEvent(event) || !SUPERVISION_CHANNEL_ID.test(event.channelId)) return;
    const holder = this.live.get(event.channelId.slice(0, 36));
    if (!holder) return;
    const at = this.now();
    // A snoop channel's StasisEnd is the last the app hears of it (no ChannelDestroyed); a supervisor leaves Stasis only by hanging up.
    if (event.type === 'StasisStart') this.interpreter.dispatch(holder, { type: 'ChannelEnteredStasis', channelId: event.channelId, at });
    else if (event.type === 'StasisEnd' || event.type === 'ChannelDestroyed') this.interpreter.dispatch(holder, { type: 'ChannelEnded', channelId: event.channelId, at });
  }

  /** Channel and bridge ids of live supervisions: the orphan sweep leaves them. */
  ownedIds(): ReadonlySet<string> {
    const ids = new Set<string>();
    for (const holder of this.live.values()) {
      const { ids: own, plan, snoops } = holder.state;
      ids.add(own.supervisorChannelId).add(own.bridgeId);
      for (let n = 1; n <= snoops; n += 1) ids.add(`${plan.supervisionId}-snoop${n}`);
    }
    return ids;
  }

  /** Ends every supervision (shutdown): their channels are hung up, and their sessions recorded. */
  endAll(): void {
    for (const holder of [...this.live.values()]) this.interpreter.dispatch(holder, { type: 'EndRequested', at: this.now() });
  }

  /**
   * Forgets every supervision without a request or a record (cluster mode: this instance no longer
   * owns the server; the next owner ends and records them).
   */
  forgetAll(): void {
    this.interpreter.stopTimers();
    this.live.clear();
  }

  stopTimers(): void {
    this.interpreter.stopTimers();
  }

  settled(): Promise<void> {
    return this.interpreter.settled();
  }

  private execute(holder: LiveSupervision, effect: OwnEffect<SupervisionEffect>, run: Run<SupervisionTimer, Chain>): void {
    const { ari } = this.deps;
    switch (effect.type) {
      case 'PublishSupervision':
        this.changes.next(supervisionView(holder.state));
        return;
      case 'RecordSession': {
        const { record } = effect;
        const details = `modes=${record.modes.join('>') || 'none'} seconds=${record.seconds ?? 'unanswered'} end=${record.end}${record.detail ? ` (${record.detail})` : ''}`;
        const first = this.deps.sessions ? this.deps.sessions.ended(record) : Promise.resolve(true);
        first.then((audit) => (audit ? this.deps.audit.record({ actor: record.supervisorTelegramId, action: 'call_supervised', subject: record.callId, details }) : undefined))
          .catch((err: unknown) => this.deps.logger.warn('recording a supervision in the audit log failed', { supervisionId: record.supervisionId, err }));
        return;
      }
      case 'HangupChannel':
        run.teardown.push(this.chained(run, () => this.interpreter.tearDown(holder, `hang up ${effect.channelId}`, () => ari.hangup(effect.channelId))));
        return;
      case 'DestroyBridge':
        run.teardown.push(this.chained(run, () => this.interpreter.tearDown(holder, 'destroy the supervision bridge', () => ari.destroyBridge(effect.bridgeId))));
        return;
      default: {
        const request = this.chained(run, () => this.send(effect));
        this.interpreter.failOnError(holder, request, (err, at) => ({ type: 'RequestFailed', request: effect.type, error: failureText(err), at }));
      }
    }
  }

  private send(effect: Exclude<OwnEffect<SupervisionEffect>, { type: 'PublishSupervision' | 'RecordSession' | 'HangupChannel' | 'DestroyBridge' }>): Promise<void> {
    const { ari, app } = this.deps;
    switch (effect.type) {
      case 'OriginateSupervisor':
        return ari.originate({ channelId: effect.channelId, endpoint: effect.endpoint, app, appArgs: effect.appArgs, callerId: effect.callerId, timeoutS: effect.timeoutS });
      case 'CreateBridge':
        return ari.createBridge(effect.bridgeId, effect.bridgeId);
      case 'Snoop':
        return ari.snoop({ channelId: effect.targetChannelId, snoopId: effect.snoopChannelId, spy: 'both', whisper: effect.whisper, app, appArgs: effect.appArgs });
      case 'AddToBridge':
        return ari.addToBridge(effect.bridgeId, effect.channelId);
      case 'MoveToBridge':
        return ari.moveToBridge(effect.channelId, effect.from, effect.to);
    }
  }

  /** Runs `next` once the supervision's previous request has settled, either way. */
  private chained<T>(run: Run<SupervisionTimer, Chain>, next: () => Promise<T>): Promise<T> {
    const promise = run.own.tail.then(next, next);
    run.own.tail = promise.catch(() => undefined);
    return promise;
  }
}

/** Whether an id Asterisk lists is one of a supervision's (for the orphan sweep). */
export function isSupervisionResource(id: string): boolean {
  return SUPERVISION_CHANNEL_ID.test(id) || SUPERVISION_BRIDGE_ID.test(id);
}
