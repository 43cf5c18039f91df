import type { HoldSound } from '../config/config';
import type { Logger } from '../config/logger';
import { toCallEvent, toMediaCallEvent } from '../ari/ari-events';
import { type AriEvent, type AriPort, AriRequestError, isChannelEvent } from '../ari/ari-port';
import { callOfMedia } from '../call/call-ids';
import {
  type CallEffect, type CallEvent, type CallPlan, type CallState, type RecordingRequest, type TimerName, type Transition,
  initialCallState, transition,
} from '../call/call-machine';
import { type AriRequestEffect, prerequisiteOf, requestKeyName, requestKeyOf } from '../call/request-order';
import type { CallRegistry, LiveCall } from './call-registry';
import type { LegId } from '../call/call-types';
import type { PartyRecords } from './call-engine-ports';
import { type CallContext, toCallUpdate } from '../call/call-update';
import type { CallRowWriter } from './call-row-writer';
import type { CallSetupObserver } from './call-setup-observer';
import { EffectInterpreter, type OwnEffect, type Run, failureText } from './effect-interpreter';
import type { TeardownRetryPolicy } from './teardown-retry';

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
  /** What a customer on hold hears (HOLD_SOUND): that music (the default), or HOLD_TONE. */
  holdSound?: HoldSound;
  /**
   * Asked before a return call rings an agent's phone: takes the agent for the call (cluster mode:
   * in the database, where one live call per agent holds across servers); false when they are on
   * another call now, and that agent counts as unreachable (call/return-call.ts rings the next).
   */
  claimAgent?: (callId: string, agentId: number) => Promise<boolean>;
}

/**
 * The hold tone for a server without music files: indications.conf's call-waiting beep, a short
 * tone every ten seconds in the stock file. A raw tone list would need commas, which split `media`.
 */
export const HOLD_TONE = 'tone:callwaiting';

/** The hold tone's playback on the call's bridge; the machine only asks for hold music, so the id is the runner's. */
const holdPlaybackId = (callId: string): string => `${callId}-hold`;

/** By requestKeyName: the requests of one call still in flight that later ones may wait for. */
type Requests = Map<string, Request>;

type CallRun = Run<TimerName, Requests>;

const CALL_MACHINE = {
  transition,
  ended: (state: CallState) => state.stage === 'ended',
  timerExpired: (timer: TimerName, at: number): CallEvent => ({ type: 'TimerExpired', timer, at }),
};

/**
 * Executes the machine's effects and feeds what happens back in as events. It holds no call logic:
 * every decision is the machine's, and which request waits for which is call/request-order.ts's;
 * timers, teardown retries and a call's end are the shared interpreter's (effect-interpreter.ts).
 * ARI requests go out at once, in the order the machine lists them.
 */
export class CallRunner {
  private readonly now: () => number;
  /**
   * Per call, the owner change being written to the audit log: the update that tells the new owner
   * waits for it, so a process killed once anyone (the webhooks' outbox above all) has seen the
   * transfer has its row, from which the next start re-derives call.transferred.
   */
  private readonly ownerWrites = new Map<string, Promise<void>>();
  private readonly interpreter: EffectInterpreter<CallState, CallEvent, CallEffect, TimerName, LiveCall, Requests>;

  constructor(private readonly deps: CallRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.interpreter = new EffectInterpreter({
      machine: CALL_MACHINE,
      execute: (live, effect, run) => this.execute(live, effect, run),
      settling: (live) => deps.writer.settled(live.context.callId),
      forget: (live) => {
        deps.registry.remove(live.context.callId);
        deps.writer.forget(live.context.callId);
      },
      describe: (live) => ({ callId: live.context.callId }),
      logger: deps.logger,
      now: this.now,
      ...(deps.teardownRetry ? { teardownRetry: deps.teardownRetry } : {}),
    });
  }

  start(context: CallContext, plan: CallPlan): LiveCall {
    const at = this.now();
    const live = this.deps.registry.add(context, initialCallState(plan, at));
    this.interpreter.begin(live, new Map());
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
    this.interpreter.begin(live, new Map());
    // A call that ended while nobody followed it is published once, by the effects' own update.
    if (live.state.stage !== 'ended') this.deps.registry.publish(live, toCallUpdate(context, live.state.stage, live.state, at));
    this.interpreter.carryOut(live, resumed.effects);
    return live;
  }

  /** Routes one ARI event to the call owning its channel; events of unknown channels are ignored. */
  handleAriEvent(event: AriEvent): void {
    if (!isChannelEvent(event)) {
      // A playback or recording of ours is named after its call (call/call-ids.ts).
      const live = this.deps.registry.get(callOfMedia(event.type === 'PlaybackFinished' ? event.playbackId : event.name) ?? '');
      const callEvent = live ? toMediaCallEvent(event, this.now()) : undefined;
      if (live && callEvent) this.dispatch(live, callEvent);
      return;
    }
    const owner = this.deps.registry.byChannelId(event.channelId);
    if (!owner) return;
    const inbound = owner.leg === 'target' && owner.call.state.plan.returnCall !== undefined;
    const callEvent = toCallEvent(event, owner.leg, this.now(), inbound);
    if (callEvent) this.dispatch(owner.call, callEvent);
  }

  dispatch(live: LiveCall, event: CallEvent): void {
    this.interpreter.dispatch(live, event);
  }

  /** Stops every timer: after this no call changes by itself (shutdown; live calls were cancelled first). */
  stopTimers(): void {
    this.interpreter.stopTimers();
  }

  /** Waits until every call's teardown requests and writes have settled (for shutdown and tests). */
  async settled(): Promise<void> {
    await this.interpreter.settled();
    await this.deps.writer.allSettled();
  }

  private execute(live: LiveCall, effect: OwnEffect<CallEffect>, run: CallRun): void {
    switch (effect.type) {
      case 'PublishUpdate': {
        const ownerWritten = this.ownerWrites.get(live.context.callId);
        this.ownerWrites.delete(live.context.callId);
        this.deps.registry.publish(live, toCallUpdate(live.context, effect.stage, live.state, effect.at), ownerWritten);
        return;
      }
      case 'PersistCall':
        this.deps.writer.write(live.context.callId, effect.patch);
        return;
      case 'PersistLeg':
        this.record(live, 'record a leg', this.deps.parties?.recordLeg(live.context.callId, effect.legId, effect.patch));
        return;
      case 'RecordStep': {
        const write = this.deps.parties?.recordStep(live.context.callId, effect.step, new Date(effect.at), effect.by);
        this.record(live, 'record a step', write);
        if (write && effect.step.kind === 'owner_changed') this.ownerWrites.set(live.context.callId, write);
        return;
      }
      default:
        this.request(live, run, effect);
    }
  }

  /** Sends one ARI request, after the earlier one it needs (call/request-order.ts), and watches its answer. */
  private request(live: LiveCall, run: CallRun, effect: AriRequestEffect): void {
    const prerequisite = prerequisiteOf(effect);
    const first = prerequisite ? allOf(prerequisite.after.flatMap((key) => run.own.get(requestKeyName(key)) ?? [])) : undefined;
    // The agent a return call rings now (call/return-call.ts puts them in the plan), read before the request waits its turn.
    const claim = effect.type === 'OriginateLeg' && effect.leg === 'agent' && live.state.returnCall && this.deps.claimAgent ? live.state.plan.agentId : undefined;
    const send = () => (claim !== undefined && effect.type === 'OriginateLeg' ? this.claimedOriginate(live, effect, claim) : this.send(live, effect));
    const promise = prerequisite?.onFailure === 'skip' ? afterSuccess(first, send) : after(first, send);
    const key = requestKeyOf(effect);
    if (key) run.own.set(requestKeyName(key), tracked(promise));
    this.observeSetup(live, effect, promise);
    switch (effect.type) {
      case 'StopRingback':
      case 'StopHoldMusic':
      case 'HangupLeg':
      case 'DestroyBridge':
        run.teardown.push(promise);
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
      case 'StopRecording':
        run.teardown.push(promise);
        return;
      case 'PlayAnnouncement':
        this.recordingFailedOnError(live, 'announce', promise);
        return;
      case 'RingLeg':
        // The caller hears nothing but silence until answered: worth a warning, not the call.
        this.warnOnError(live, 'ring the inbound channel', promise);
        return;
      case 'AnswerLeg':
        this.failCallOnError(live, 'answer the customer', promise, { leg: 'target', addChannel: false });
        return;
      case 'StartRecording':
        this.recordingFailedOnError(live, 'record', promise);
        return;
      case 'PauseRecording':
        this.recordingFailedOnError(live, 'pause', promise);
        return;
      case 'UnpauseRecording':
        this.recordingFailedOnError(live, 'unpause', promise);
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
        if (this.deps.holdSound === 'tone') return ari.playOnBridge(effect.bridgeId, holdPlaybackId(live.context.callId), HOLD_TONE);
        return ari.startBridgeMoh(effect.bridgeId, this.deps.holdMusicClass ?? 'default');
      case 'StopHoldMusic':
        if (this.deps.holdSound === 'tone') return this.interpreter.tearDown(live, 'stop the hold tone', () => ari.stopPlayback(holdPlaybackId(live.context.callId)));
        return this.interpreter.tearDown(live, 'stop music on hold', () => ari.stopBridgeMoh(effect.bridgeId));
      case 'StartRingback':
        return ari.play(effect.channelId, effect.playbackId, 'tone:ring');
      case 'StopRingback':
        return this.interpreter.tearDown(live, 'stop ringback', () => ari.stopPlayback(effect.playbackId));
      case 'HangupLeg':
        return this.interpreter.tearDown(live, `hang up ${effect.channelId}`, () => ari.hangup(effect.channelId));
      case 'DestroyBridge':
        return this.interpreter.tearDown(live, 'destroy bridge', () => ari.destroyBridge(effect.bridgeId));
      case 'PlayAnnouncement':
        return ari.play(effect.channelId, effect.playbackId, effect.media);
      case 'RingLeg':
        return ari.ring(effect.channelId);
      case 'AnswerLeg':
        return ari.answer(effect.channelId);
      case 'StartRecording':
        return ari.recordBridge(effect.bridgeId, effect.name);
      case 'PauseRecording':
        return ari.pauseRecording(effect.name);
      case 'UnpauseRecording':
        return ari.unpauseRecording(effect.name);
      case 'StopRecording':
        // Destroying the bridge stops it as well: a failed stop is logged and left to that.
        return ari.stopRecording(effect.name).catch((err: unknown) => {
          this.deps.logger.warn('stopping the call\'s recording failed; the bridge\'s end stops it', { callId: live.context.callId, err });
        });
    }
  }

  /** A return call's agent is rung only once taken for the call; one taken by another call meanwhile fails the originate. */
  private async claimedOriginate(live: LiveCall, effect: Extract<AriRequestEffect, { type: 'OriginateLeg' }>, agentId: number): Promise<void> {
    if (!(await this.deps.claimAgent!(live.context.callId, agentId))) {
      throw new Error(`agent ${agentId} is on another call now; the next agent is rung`);
    }
    await this.deps.ari.originate({
      channelId: effect.channelId, endpoint: effect.endpoint, app: this.deps.app, appArgs: effect.appArgs, callerId: effect.callerId, timeoutS: effect.timeoutS,
    });
  }

  /** A refused recording request only changes what the call says of its recording (call/recording.ts): the call goes on. */
  private recordingFailedOnError(live: LiveCall, request: RecordingRequest, promise: Promise<unknown>): void {
    this.interpreter.failOnError(live, promise, (err, at) => {
      this.deps.logger.warn('ARI recording request failed; the call goes on', { callId: live.context.callId, request, err });
      return { type: 'RecordingRequestFailed', request, error: failureText(err), at, ...(channelGone(err, false) ? { channelGone: true } : {}) };
    });
  }

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

  /** A failed request is an event for the machine; Asterisk's answer says whether the channel was gone. */
  private failCallOnError(live: LiveCall, request: string, promise: Promise<unknown>, about?: { leg: LegId; addChannel: boolean }): void {
    this.interpreter.failOnError(live, promise, (err, at) => {
      const gone = channelGone(err, about?.addChannel ?? false);
      if (!gone) this.deps.logger.warn('ARI request failed; ending the call', { callId: live.context.callId, request, err });
      return {
        type: 'RequestFailed', request, error: failureText(err), at, ...(gone ? { channelGone: true } : {}), ...(about ? { leg: about.leg } : {}),
      };
    });
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

/** The requests as one: settled when all are, failed when any did (then with the first failure's reason). */
function allOf(requests: Request[]): Request | undefined {
  if (requests.length <= 1) return requests[0];
  const promise = Promise.allSettled(requests.map((r) => r.promise)).then((results) => {
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  });
  promise.catch(() => undefined);
  const all = tracked(promise);
  // Settled now if all were: `after` then sends in this same turn, as for one request.
  if (requests.every((r) => r.settled)) Object.assign(all, { settled: true, failed: requests.some((r) => r.failed) });
  return all;
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
