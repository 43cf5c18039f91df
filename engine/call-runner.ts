import type { Logger } from '../config/logger';
import { toCallEvent } from '../ari/ari-events';
import { type AriEvent, type AriPort, AriRequestError } from '../ari/ari-port';
import {
  type CallEffect, type CallEvent, type CallPlan, type TimerName, type Transition,
  initialCallState, transition,
} from '../call/call-machine';
import { type AriRequestEffect, prerequisiteOf, requestKeyName, requestKeyOf } from '../call/request-order';
import type { CallRegistry, LiveCall } from './call-registry';
import type { LegId } from '../call/call-types';
import type { PartyRecords } from './call-engine-ports';
import { type CallContext, toCallUpdate } from '../call/call-update';
import type { CallRowWriter } from './call-row-writer';
import type { CallSetupObserver } from './call-setup-observer';
import { DEFAULT_TEARDOWN_RETRY, type TeardownRetryPolicy, retryTeardown } from './teardown-retry';

export interface CallRunnerDeps {
  ari: AriPort;
  registry: CallRegistry;
  writer: CallRowWriter;
  app: string;
  logger: Logger;
  now?: () => number;
  teardownRetry?: TeardownRetryPolicy;
  setup?: CallSetupObserver;
  /** Where added legs and multi-party steps are recorded; without it they are not. */
  parties?: PartyRecords;
  /** Asterisk's music on hold class for a customer on hold (HOLD_MUSIC_CLASS). */
  holdMusicClass?: string;
}

/** Requests still in flight for one call, so dependent requests wait for what they need. */
interface Pending {
  /** By requestKeyName: the requests later ones may wait for. */
  requests: Map<string, Request>;
  teardown: Promise<unknown>[];
  timers: Map<TimerName, NodeJS.Timeout>;
}

/**
 * Executes the machine's effects and feeds what happens back in as events. It holds no call logic:
 * every decision is the machine's, and which request waits for which is call/request-order.ts's.
 * ARI requests go out at once, in the order the machine lists them.
 */
export class CallRunner {
  private readonly pending = new Map<string, Pending>();
  private readonly now: () => number;
  /** Aborted at shutdown: teardown still failing then is left to the next start's orphan sweep. */
  private stopping = new AbortController();

  constructor(private readonly deps: CallRunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(context: CallContext, plan: CallPlan): LiveCall {
    const at = this.now();
    const live = this.deps.registry.add(context, initialCallState(plan, at));
    this.pending.set(context.callId, {
      requests: new Map(), teardown: [], timers: new Map(),
    });
    this.deps.registry.publish(live, toCallUpdate(context, live.state.stage, live.state, at));
    this.dispatch(live, { type: 'CallStarted', at });
    return live;
  }

  /**
   * A call another instance started (cluster take-over): its state and first effects come from
   * call/call-resume.ts, and from here on it runs like any other.
   */
  adopt(context: CallContext, resumed: Transition): LiveCall {
    const at = this.now();
    const live = this.deps.registry.add(context, resumed.state);
    this.pending.set(context.callId, { requests: new Map(), teardown: [], timers: new Map() });
    // A call that ended while nobody followed it is published once, by the effects' own update.
    if (live.state.stage !== 'ended') this.deps.registry.publish(live, toCallUpdate(context, live.state.stage, live.state, at));
    for (const effect of resumed.effects) this.execute(live, effect);
    if (live.state.stage === 'ended') this.finish(live);
    return live;
  }

  /** Routes one ARI event to the call owning its channel; events of unknown channels are ignored. */
  handleAriEvent(event: AriEvent): void {
    const owner = this.deps.registry.byChannelId(event.channelId);
    if (!owner) return;
    const callEvent = toCallEvent(event, owner.leg, this.now());
    if (callEvent) this.dispatch(owner.call, callEvent);
  }

  dispatch(live: LiveCall, event: CallEvent): void {
    const before = live.state;
    const { state, effects } = transition(before, event);
    if (state === before && effects.length === 0) return;
    live.state = state;
    for (const effect of effects) this.execute(live, effect);
    if (state.stage === 'ended' && before.stage !== 'ended') this.finish(live);
  }

  /** Stops every timer: after this no call changes by itself (shutdown; live calls were cancelled first). */
  stopTimers(): void {
    this.stopping.abort();
    this.stopping = new AbortController();
    for (const p of this.pending.values()) {
      for (const timer of p.timers.values()) clearTimeout(timer);
      p.timers.clear();
    }
  }

  /** Waits until every call's teardown requests and writes have settled (for shutdown and tests). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending.values()].flatMap((p) => p.teardown));
    await this.deps.writer.allSettled();
  }

  private execute(live: LiveCall, effect: CallEffect): void {
    const p = this.pending.get(live.context.callId);
    if (!p) return;
    switch (effect.type) {
      case 'StartTimer': {
        clearTimeout(p.timers.get(effect.timer));
        const timer = effect.timer;
        p.timers.set(timer, setTimeout(() => {
          p.timers.delete(timer);
          this.dispatch(live, { type: 'TimerExpired', timer, at: this.now() });
        }, effect.ms));
        return;
      }
      case 'CancelTimer':
        clearTimeout(p.timers.get(effect.timer));
        p.timers.delete(effect.timer);
        return;
      case 'PublishUpdate':
        this.deps.registry.publish(live, toCallUpdate(live.context, effect.stage, live.state, effect.at));
        return;
      case 'PersistCall':
        this.deps.writer.write(live.context.callId, effect.patch);
        return;
      case 'PersistLeg':
        this.record(live, 'record a leg', this.deps.parties?.recordLeg(live.context.callId, effect.legId, effect.patch));
        return;
      case 'RecordStep':
        this.record(live, 'record a step', this.deps.parties?.recordStep(live.context.callId, effect.step, new Date(effect.at), effect.by));
        return;
      default:
        this.request(live, p, effect);
    }
  }

  /** Sends one ARI request, after the earlier one it needs (call/request-order.ts), and watches its answer. */
  private request(live: LiveCall, p: Pending, effect: AriRequestEffect): void {
    const prerequisite = prerequisiteOf(effect);
    const first = prerequisite ? p.requests.get(requestKeyName(prerequisite.after)) : undefined;
    const send = () => this.send(live, effect);
    const promise = prerequisite?.onFailure === 'skip' ? afterSuccess(first, send) : after(first, send);
    const key = requestKeyOf(effect);
    if (key) p.requests.set(requestKeyName(key), tracked(promise));
    this.observeSetup(live, effect, promise);
    switch (effect.type) {
      case 'StopRingback':
      case 'StopHoldMusic':
      case 'HangupLeg':
      case 'DestroyBridge':
        p.teardown.push(promise);
        return;
      case 'StartRingback':
        this.warnOnError(live, 'start ringback', promise);
        return;
      case 'StartHoldMusic':
        this.warnOnError(live, 'start music on hold', promise);
        return;
      case 'OriginateLeg':
        this.failCallOnError(live, `originate ${effect.leg}`, promise);
        return;
      case 'CreateLeg':
        // An added leg that cannot be made is that party not reached; the first two legs' failure ends the call.
        this.failCallOnError(live, `create ${effect.leg} channel`, promise, isAddedLeg(effect.leg) ? { leg: effect.leg, addChannel: false } : undefined);
        return;
      case 'CreateBridge':
        this.failCallOnError(live, 'create bridge', promise);
        return;
      case 'DialLeg':
        this.failCallOnError(live, `dial ${effect.leg}`, promise, { leg: effect.leg, addChannel: false });
        return;
      case 'AddToBridge':
        this.failCallOnError(live, 'add to bridge', promise, { leg: legOfChannel(live, effect.channelId), addChannel: true });
        return;
      case 'MoveToBridge':
        this.failCallOnError(live, 'move to bridge', promise, { leg: legOfChannel(live, effect.channelId), addChannel: true });
        return;
    }
  }

  private send(live: LiveCall, effect: AriRequestEffect): Promise<unknown> {
    const { ari, app } = this.deps;
    switch (effect.type) {
      case 'OriginateLeg':
        return ari.originate({
          channelId: effect.channelId, endpoint: effect.endpoint, app, appArgs: effect.appArgs, callerId: effect.callerId, timeoutS: effect.timeoutS,
        });
      case 'CreateLeg':
        return ari.createChannel({
          channelId: effect.channelId, endpoint: effect.endpoint, app, appArgs: effect.appArgs,
          ...(effect.callerId ? { variables: { 'CALLERID(num)': effect.callerId } } : {}),
        });
      case 'DialLeg':
        return ari.dial(effect.channelId, effect.timeoutS, effect.callerChannelId);
      case 'CreateBridge':
        return ari.createBridge(effect.bridgeId, live.context.callId);
      case 'AddToBridge':
        return ari.addToBridge(effect.bridgeId, effect.channelId);
      case 'MoveToBridge':
        return ari.moveToBridge(effect.channelId, effect.from, effect.to);
      case 'StartHoldMusic':
        return ari.startBridgeMoh(effect.bridgeId, this.deps.holdMusicClass ?? 'default');
      case 'StopHoldMusic':
        return this.tearDown(live, 'stop music on hold', () => ari.stopBridgeMoh(effect.bridgeId));
      case 'StartRingback':
        return ari.play(effect.channelId, effect.playbackId, 'tone:ring');
      case 'StopRingback':
        return this.tearDown(live, 'stop ringback', () => ari.stopPlayback(effect.playbackId));
      case 'HangupLeg':
        return this.tearDown(live, `hang up ${effect.channelId}`, () => ari.hangup(effect.channelId));
      case 'DestroyBridge':
        return this.tearDown(live, 'destroy bridge', () => ari.destroyBridge(effect.bridgeId));
    }
  }

  /** Tells the set-up observer when Asterisk answered the target's dial (after it was sent). */
  /** The set-up latencies, taken once Asterisk has answered; nothing waits on them. */
  private observeSetup(live: LiveCall, effect: AriRequestEffect, request: Promise<unknown>): void {
    const { setup } = this.deps;
    if (!setup) return;
    const { requestedAt, agentAnsweredAt } = live.state.times;
    if (effect.type === 'OriginateLeg' && effect.leg === 'agent') {
      request.then(() => setup.agentOriginated(live.context, this.now() - requestedAt), () => undefined);
    } else if (effect.type === 'DialLeg' && effect.leg === 'target' && agentAnsweredAt !== undefined) {
      request.then(() => setup.targetDialed(live.context, this.now() - agentAnsweredAt), () => undefined);
    }
  }

  private finish(live: LiveCall): void {
    const { callId } = live.context;
    const p = this.pending.get(callId);
    if (!p) return;
    for (const timer of p.timers.values()) clearTimeout(timer);
    p.timers.clear();
    void Promise.allSettled([...p.teardown, this.deps.writer.settled(callId)]).then(() => {
      this.pending.delete(callId);
      this.deps.registry.remove(callId);
      this.deps.writer.forget(callId);
    });
  }

  /** A failed request is an event for the machine; Asterisk's answer says whether the channel was gone. */
  private failCallOnError(live: LiveCall, request: string, promise: Promise<unknown>, about?: { leg: LegId; addChannel: boolean }): void {
    promise.catch((err: unknown) => {
      const error = err instanceof AriRequestError ? err.detail : err instanceof Error ? err.message : String(err);
      const gone = channelGone(err, about?.addChannel ?? false);
      if (!gone) this.deps.logger.warn('ARI request failed; ending the call', { callId: live.context.callId, request, err });
      this.dispatch(live, {
        type: 'RequestFailed', request, error, at: this.now(), ...(gone ? { channelGone: true } : {}), ...(about ? { leg: about.leg } : {}),
      });
    });
  }

  /** A teardown request, retried until Asterisk confirms it (see teardown-retry.ts). */
  private tearDown(live: LiveCall, request: string, send: () => Promise<void>): Promise<unknown> {
    const { callId } = live.context;
    const { logger } = this.deps;
    return retryTeardown(send, this.deps.teardownRetry ?? DEFAULT_TEARDOWN_RETRY, this.stopping.signal, {
      retrying: (attempt, err, inMs) => {
        const log = attempt === 1 ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log('ARI teardown request failed; retrying', { callId, request, attempt, inMs, err });
      },
      gaveUp: (attempts, err) => logger.warn('ARI teardown request still failing; the orphan sweep will clean up', { callId, request, attempts, err }),
    }, this.now);
  }

  /** A record of the call's parties; a failed write is logged, the call goes on. */
  private record(live: LiveCall, what: string, write: Promise<void> | undefined): void {
    write?.catch((err: unknown) => this.deps.logger.warn('could not write the call\'s parties', { callId: live.context.callId, what, err }));
  }

  private warnOnError(live: LiveCall, request: string, promise: Promise<unknown>): void {
    promise.catch((err: unknown) => this.deps.logger.warn('ARI request failed', { callId: live.context.callId, request, err }));
  }
}

function isAddedLeg(id: LegId): boolean {
  return id !== 'agent' && id !== 'target';
}

/** The leg whose channel this is (the customer's when none is: a join's failure then names the one it was about). */
function legOfChannel(live: LiveCall, channelId: string): LegId {
  return live.state.legs.find((l) => l.channelId === channelId)?.id ?? 'target';
}

/**
 * Asterisk's answers for "that channel is no longer there": 404 from channel operations; from a
 * bridge's addChannel, 400 "Channel not found" and 422 "Channel not in Stasis application" (there
 * 404 means the bridge is gone, which is a failure).
 */
function channelGone(err: unknown, addChannel: boolean): boolean {
  if (!(err instanceof AriRequestError)) return false;
  if (!addChannel) return err.status === 404;
  return err.status === 422 || (err.status === 400 && /channel not found/i.test(err.detail));
}

/** A request in flight, and whether it has settled yet. */
interface Request {
  promise: Promise<unknown>;
  settled: boolean;
  failed: boolean;
}

function tracked(promise: Promise<unknown>): Request {
  const request: Request = { promise, settled: false, failed: false };
  promise.then(() => { request.settled = true; }, () => { request.settled = true; request.failed = true; });
  return request;
}

/**
 * Runs `next` once `first` has settled (succeeded or not): the dependent request decides for
 * itself. When `first` has long settled (the usual case: the bridge was made while the agent
 * rang) `next` runs now, in the same turn as the event that asked for it, so its request is
 * written before the call's observers hear of the transition (see CallRegistry.publish).
 */
function after<T>(first: Request | undefined, next: () => Promise<T>): Promise<T> {
  return first && !first.settled ? first.promise.then(next, next) : next();
}

/** Like `after`, but `next` is skipped when `first` failed. */
function afterSuccess(first: Request | undefined, next: () => Promise<unknown>): Promise<unknown> {
  if (!first || (first.settled && !first.failed)) return next();
  return first.promise.then(next, () => undefined);
}
