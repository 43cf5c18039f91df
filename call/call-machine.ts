/**
 * The call as a pure state machine: `transition(state, event) -> { state, effects }`.
 * No I/O, no timers, no clock: events carry their time, effects say what should happen, and the
 * runner (call-runner.ts) does it and feeds the results back in as events.
 *
 * The flow, agent first:
 *   requested ─OriginateLeg(agent), CreateBridge, CreateLeg(target)→ agent_dialing ─ringing→
 *   agent_ringing ─answered→ agent_answered (only while waiting for the confirmation digit) →
 *   target_dialing (DialLeg) ─ringing→ target_ringing ─target answered→ connected ─either leg ends→ ended
 * The target's channel is made, and put in the bridge, while the agent's phone rings: on the
 * agent's answer, dialing the target is then a single request that Asterisk runs at once (see
 * onCallStarted).
 * Any leg ending, a timer, a cancel or a failed request ends the call from any live stage; ending
 * always hangs up every leg still up and destroys the bridge, because Asterisk does neither.
 */
import { type CallIds, callIds, channelOfLeg } from './call-ids';
import type { CallFailure, CallOutcome, CallStage, LegName, RouteCode } from './call-types';
import { unansweredLegOutcome } from './outcomes';

export interface CallPlan {
  callId: string;
  route: RouteCode;
  agentEndpoint: string;
  targetEndpoint: string;
  callerId: string | null;
  agentRingTimeoutS: number;
  targetRingTimeoutS: number;
  /** When set, the agent must press this digit after answering before the target is dialed. */
  confirmDigit?: string;
  confirmTimeoutS: number;
}

/** Ours own timers are a safety net behind Asterisk's: they fire a little after Asterisk's should. */
export const TIMER_GRACE_MS = 5000;

/**
 * After the target's dial is asked for, the call's other work (joins, ringback, writes, stream
 * updates) waits this long, or until the target's channel reports progress: on a host where the app
 * and Asterisk share a few CPUs, that work competes with the threads sending the INVITE. Why a
 * fixed time and why this one: docs/dial-goes-out-alone.md.
 */
export const DIAL_HOLD_MS = 8;

/** How long a request that found its channel gone waits for the ChannelDestroyed that explains it. */
export const CHANNEL_GONE_GRACE_MS = 1000;

/** `created`: the target's channel exists in Asterisk (or is being made) but has not been dialed. */
export type LegStatus = 'idle' | 'created' | 'dialing' | 'ringing' | 'up' | 'ended';

export interface LegState {
  status: LegStatus;
  inStasis: boolean;
}

export interface CallTimes {
  requestedAt: number;
  agentRingingAt?: number;
  agentAnsweredAt?: number;
  targetRingingAt?: number;
  connectedAt?: number;
  endedAt?: number;
}

export interface CallState {
  plan: CallPlan;
  ids: CallIds;
  stage: CallStage;
  agent: LegState;
  target: LegState;
  ringbackPlaying: boolean;
  /** The target should ring: dialed, or to be dialed as soon as its channel is in the bridge. */
  targetDialed: boolean;
  times: CallTimes;
  outcome?: CallOutcome;
  endedBy?: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  /** The Call row's diagnostic: what happened, for the record. */
  detail?: string;
  failure?: CallFailure;
  /** Set while the target's dial goes out alone: the effects held back, in order (see holdAfterDial). */
  held?: readonly CallEffect[];
  /** A request that found its channel gone and named no leg, waiting out CHANNEL_GONE_GRACE_MS. */
  goneRequest?: { request: string; error: string };
}

export type TimerName = 'agent_ring' | 'target_ring' | 'confirm' | 'dial_hold' | 'agent_gone' | 'target_gone' | 'request_gone';
export type CancelSource = 'agent' | 'admin' | 'system';

export type CallEvent =
  | { type: 'CallStarted'; at: number }
  | { type: 'LegRinging'; leg: LegName; at: number }
  | { type: 'LegAnswered'; leg: LegName; at: number }
  | { type: 'LegEnteredStasis'; leg: LegName; at: number }
  | { type: 'LegEnded'; leg: LegName; cause: number | null; causeText?: string | null; at: number }
  /**
   * A taken-over call's leg was found gone: it ended while no instance followed the call, and
   * nothing says how (a ringing agent who answered then was hung up by Asterisk, which refuses a
   * channel entering an app nobody is connected to).
   */
  | { type: 'LegGoneUnseen'; leg: LegName; at: number }
  | { type: 'DtmfReceived'; leg: LegName; digit: string; at: number }
  | { type: 'TimerExpired'; timer: TimerName; at: number }
  | { type: 'CancelRequested'; by: CancelSource; at: number }
  /**
   * `channelGone`: Asterisk said the channel is no longer there (the far end usually hung up a
   * moment before); `leg`: the leg the request was about, when it was about one.
   */
  | { type: 'RequestFailed'; request: string; error: string; at: number; channelGone?: boolean; leg?: LegName };

/** The Call row fields a transition changes; the runner hands them to the store as they are. */
export interface CallRecordPatch {
  stage?: CallStage;
  outcome?: CallOutcome;
  endedBy?: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  detail?: string;
  agentRingingAt?: Date;
  agentAnsweredAt?: Date;
  targetRingingAt?: Date;
  connectedAt?: Date;
  endedAt?: Date;
}

export type CallEffect =
  | { type: 'OriginateLeg'; leg: LegName; channelId: string; endpoint: string; callerId: string | null; timeoutS: number; appArgs: string }
  | { type: 'CreateLeg'; leg: LegName; channelId: string; endpoint: string; appArgs: string }
  /** Dials a created leg; Asterisk gives it the caller's Caller ID (the INVITE's From). */
  | { type: 'DialLeg'; leg: LegName; channelId: string; timeoutS: number; callerChannelId: string }
  | { type: 'CreateBridge'; bridgeId: string }
  | { type: 'AddToBridge'; bridgeId: string; channelId: string }
  | { type: 'StartRingback'; channelId: string; playbackId: string }
  | { type: 'StopRingback'; playbackId: string }
  | { type: 'HangupLeg'; channelId: string }
  | { type: 'DestroyBridge'; bridgeId: string }
  | { type: 'StartTimer'; timer: TimerName; ms: number }
  | { type: 'CancelTimer'; timer: TimerName }
  | { type: 'PersistCall'; patch: CallRecordPatch }
  /** The call reached `stage` at `at`: its observers (the status message, metrics) hear of it. */
  | { type: 'PublishUpdate'; stage: CallStage; at: number };

export interface Transition {
  state: CallState;
  effects: CallEffect[];
}

const IDLE_LEG: LegState = { status: 'idle', inStasis: false };

export function initialCallState(plan: CallPlan, requestedAt: number): CallState {
  return {
    plan,
    ids: callIds(plan.callId),
    stage: 'requested',
    agent: IDLE_LEG,
    target: IDLE_LEG,
    ringbackPlaying: false,
    targetDialed: false,
    times: { requestedAt },
  };
}

export function transition(state: CallState, event: CallEvent): Transition {
  if (state.stage === 'ended') return unchanged(state);
  const decided = decide(state, event);
  const releases = state.held !== undefined && releasesHold(event);
  if (decided.state === state && !releases) return decided;
  const effects = decided.state.stage === state.stage
    ? decided.effects
    : [...decided.effects, { type: 'PublishUpdate', stage: decided.state.stage, at: event.at } as const];
  const holdTimerFired = event.type === 'TimerExpired' && event.timer === 'dial_hold';
  return holdAfterDial(state, { state: decided.state, effects }, releases, holdTimerFired);
}

function decide(state: CallState, event: CallEvent): Transition {
  switch (event.type) {
    case 'CallStarted': return onCallStarted(state);
    case 'LegRinging': return onLegRinging(state, event.leg, event.at);
    case 'LegAnswered': return onLegAnswered(state, event.leg, event.at);
    case 'LegEnteredStasis': return onLegEnteredStasis(state, event.leg, event.at);
    case 'LegEnded': return onLegEnded(state, event.leg, event.cause, event.causeText ?? null, event.at);
    case 'LegGoneUnseen': return onLegGoneUnseen(state, event.leg, event.at);
    case 'DtmfReceived': return onDtmf(state, event.leg, event.digit);
    case 'TimerExpired': return onTimer(state, event.timer, event.at);
    case 'CancelRequested': return onCancel(state, event.by, event.at);
    case 'RequestFailed': return onRequestFailed(state, event);
  }
}

/**
 * The target's dial goes out alone: once a transition asks for it, every later effect but timers
 * is held in the state, until the hold's timer fires, the target's channel reports anything, or
 * the call ends. Then the held effects go first, in the order they were asked for.
 */
function holdAfterDial(before: CallState, decided: Transition, releases: boolean, holdTimerFired: boolean): Transition {
  const ending = decided.state.stage === 'ended';
  if (before.held === undefined && !decided.effects.some((e) => e.type === 'DialLeg')) return decided;
  let held: CallEffect[] | undefined;
  const effects: CallEffect[] = [];
  if (before.held !== undefined && !releases && !ending) {
    held = [...before.held];
  } else if (before.held !== undefined) {
    if (!holdTimerFired) effects.push({ type: 'CancelTimer', timer: 'dial_hold' });
    effects.push(...before.held);
  }
  for (const effect of decided.effects) {
    if (held !== undefined && effect.type !== 'StartTimer' && effect.type !== 'CancelTimer') {
      held.push(effect);
      continue;
    }
    effects.push(effect);
    if (effect.type === 'DialLeg' && !ending) {
      held = [];
      effects.push({ type: 'StartTimer', timer: 'dial_hold', ms: DIAL_HOLD_MS });
    }
  }
  const { held: _previous, ...rest } = decided.state;
  return { state: held === undefined ? rest : { ...rest, held }, effects };
}

/** Anything from the target's channel means Asterisk has done the dial's work; so does the hold's own timer. */
function releasesHold(event: CallEvent): boolean {
  if (event.type === 'TimerExpired') return event.timer === 'dial_hold';
  return 'leg' in event && event.leg === 'target' && event.type !== 'RequestFailed';
}

/**
 * The agent's phone is called first. The bridge and the target's channel are made at the same
 * time, while it rings: a channel made with /channels/create sends nothing to the provider until
 * it is dialed, and once it waits in a bridge Asterisk runs a dial for it at once, where a created
 * channel alone in Stasis would pick it up only on its loop's next turn, and an originate costs a
 * channel set-up on the critical path (docs/target-created-in-bridge.md).
 */
function onCallStarted(state: CallState): Transition {
  if (state.stage !== 'requested') return unchanged(state);
  const { plan, ids } = state;
  return {
    state: {
      ...state, stage: 'agent_dialing',
      agent: { status: 'dialing', inStasis: false }, target: { status: 'created', inStasis: false },
    },
    effects: [
      {
        type: 'OriginateLeg', leg: 'agent', channelId: ids.agentChannelId, endpoint: plan.agentEndpoint,
        callerId: plan.callerId, timeoutS: plan.agentRingTimeoutS, appArgs: `agent,${plan.callId}`,
      },
      { type: 'CreateBridge', bridgeId: ids.bridgeId },
      { type: 'CreateLeg', leg: 'target', channelId: ids.targetChannelId, endpoint: plan.targetEndpoint, appArgs: `target,${plan.callId}` },
      { type: 'StartTimer', timer: 'agent_ring', ms: plan.agentRingTimeoutS * 1000 + TIMER_GRACE_MS },
      { type: 'PersistCall', patch: { stage: 'agent_dialing' } },
    ],
  };
}

function onLegRinging(state: CallState, leg: LegName, at: number): Transition {
  const current = state[leg];
  if (current.status !== 'dialing') return unchanged(state);
  const next = { ...state, [leg]: { ...current, status: 'ringing' } };
  if (leg === 'agent' && state.stage === 'agent_dialing') {
    return persisting({ ...next, stage: 'agent_ringing', times: { ...state.times, agentRingingAt: at } },
      { stage: 'agent_ringing', agentRingingAt: new Date(at) });
  }
  if (leg === 'target' && state.stage === 'target_dialing') {
    return persisting({ ...next, stage: 'target_ringing', times: { ...state.times, targetRingingAt: at } },
      { stage: 'target_ringing', targetRingingAt: new Date(at) });
  }
  return { state: next, effects: [] };
}

function onLegAnswered(state: CallState, leg: LegName, at: number): Transition {
  const current = state[leg];
  if (current.status !== 'dialing' && current.status !== 'ringing') return unchanged(state);
  const answered = { ...state, [leg]: { ...current, status: 'up' as const } };
  if (leg === 'target') {
    // It was dialed only once it was in the bridge, so answering connects it.
    const connected: CallState = { ...answered, stage: 'connected', ringbackPlaying: false, times: { ...state.times, connectedAt: at } };
    return {
      state: connected,
      effects: [
        ...(state.ringbackPlaying ? [{ type: 'StopRingback', playbackId: state.ids.ringbackId } as const] : []),
        { type: 'CancelTimer', timer: 'target_ring' },
        { type: 'PersistCall', patch: { stage: 'connected', connectedAt: new Date(at) } },
      ],
    };
  }

  const times = { ...state.times, agentAnsweredAt: at };
  const common: CallEffect[] = [{ type: 'CancelTimer', timer: 'agent_ring' }];
  if (state.plan.confirmDigit) {
    return {
      state: { ...answered, stage: 'agent_answered', times },
      effects: [
        ...common,
        { type: 'StartTimer', timer: 'confirm', ms: state.plan.confirmTimeoutS * 1000 },
        { type: 'PersistCall', patch: { stage: 'agent_answered', agentAnsweredAt: new Date(at) } },
      ],
    };
  }
  // Dial the target first: every other request can wait, the customer's phone should not.
  const dialed = dialTarget({ ...answered, times });
  return {
    state: dialed.state,
    effects: [
      ...dialed.effects, ...common,
      { type: 'PersistCall', patch: { stage: 'target_dialing', agentAnsweredAt: new Date(at) } },
    ],
  };
}

/** The target should ring now: dialed at once if its channel is in the bridge, else as soon as it is. */
function dialTarget(state: CallState): Transition {
  const { plan, ids } = state;
  let next: CallState = { ...state, stage: 'target_dialing', targetDialed: true };
  const effects: CallEffect[] = [];
  if (next.target.inStasis) next = withDial(next, effects);
  effects.push({ type: 'StartTimer', timer: 'target_ring', ms: plan.targetRingTimeoutS * 1000 + TIMER_GRACE_MS });
  if (state.agent.inStasis && !state.ringbackPlaying) {
    effects.push({ type: 'StartRingback', channelId: ids.agentChannelId, playbackId: ids.ringbackId });
    next = { ...next, ringbackPlaying: true };
  }
  return { state: next, effects };
}

/** Appends the target's dial (its Caller ID copied from the agent's channel) to `effects`. */
function withDial(state: CallState, effects: CallEffect[]): CallState {
  const { plan, ids } = state;
  effects.push({
    type: 'DialLeg', leg: 'target', channelId: ids.targetChannelId, timeoutS: plan.targetRingTimeoutS, callerChannelId: ids.agentChannelId,
  });
  return { ...state, target: { ...state.target, status: 'dialing' } };
}

function onLegEnteredStasis(state: CallState, leg: LegName, at: number): Transition {
  const current = state[leg];
  if (current.inStasis || current.status === 'ended') return unchanged(state);
  if (leg === 'target') {
    // The created target is in Stasis (still Down): into the bridge, and dialed if it is time.
    if (current.status !== 'created') return unchanged(state);
    const effects: CallEffect[] = [{ type: 'AddToBridge', bridgeId: state.ids.bridgeId, channelId: state.ids.targetChannelId }];
    const inStasis: CallState = { ...state, target: { status: 'created', inStasis: true } };
    return { state: state.targetDialed ? withDial(inStasis, effects) : inStasis, effects };
  }
  // The agent's StasisStart only follows an answer; if the answer event was lost (a reconnect), take it as one.
  if (current.status === 'idle' || current.status === 'created') return unchanged(state);
  let next: CallState = state;
  let effects: CallEffect[] = [];
  if (current.status !== 'up') ({ state: next, effects } = onLegAnswered(state, leg, at));
  next = { ...next, agent: { status: 'up', inStasis: true } };
  const { ids } = next;
  effects = [...effects, { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.agentChannelId }];
  if (next.targetDialed && !next.ringbackPlaying && next.stage !== 'connected') {
    effects.push({ type: 'StartRingback', channelId: ids.agentChannelId, playbackId: ids.ringbackId });
    next = { ...next, ringbackPlaying: true };
  }
  return { state: next, effects };
}

function onDtmf(state: CallState, leg: LegName, digit: string): Transition {
  if (leg !== 'agent' || state.stage !== 'agent_answered' || digit !== state.plan.confirmDigit) return unchanged(state);
  const dialed = dialTarget(state);
  return {
    state: dialed.state,
    effects: [
      ...dialed.effects,
      { type: 'CancelTimer', timer: 'confirm' },
      { type: 'PersistCall', patch: { stage: 'target_dialing' } },
    ],
  };
}

function onLegEnded(state: CallState, leg: LegName, cause: number | null, causeText: string | null, at: number): Transition {
  const current = state[leg];
  if (current.status === 'ended' || current.status === 'idle') return unchanged(state);
  const ended: CallState = { ...state, [leg]: { status: 'ended', inStasis: false } };
  const hangup = { hangupCause: cause, hangupCauseText: causeText };
  if (current.status === 'created') {
    // Nothing dialed it: it was hung up or lost on Asterisk's side.
    return endCall(ended, at, {
      outcome: 'failed', endedBy: leg, ...hangup, detail: `the ${leg} channel ended before it was dialed`, failure: { kind: 'target_lost_before_dial' },
    });
  }
  if (state.stage === 'connected') return endCall(ended, at, { outcome: 'completed', endedBy: leg, ...hangup });
  if (current.status === 'up') {
    // The agent gave up before the target answered, or the target hung up on answering.
    const outcome: CallOutcome = leg === 'agent' ? 'agent_hung_up' : 'target_rejected';
    return endCall(ended, at, { outcome, endedBy: leg, ...hangup });
  }
  const reach = current.status === 'ringing' ? 'ringing' : 'dialing';
  return endCall(ended, at, { outcome: unansweredLegOutcome(leg, reach, cause), endedBy: leg, ...hangup });
}

/**
 * A leg that was up ended the call as any hang-up does; one that had not answered ended it in a way
 * nobody saw, so the call is interrupted rather than given an outcome nobody observed.
 */
function onLegGoneUnseen(state: CallState, leg: LegName, at: number): Transition {
  const current = state[leg];
  if (current.status === 'up') return onLegEnded(state, leg, null, 'gone while no instance followed the call', at);
  if (current.status === 'ended' || current.status === 'idle') return unchanged(state);
  return endCall({ ...state, [leg]: { status: 'ended', inStasis: false } }, at, {
    outcome: 'interrupted', endedBy: leg, detail: `the ${leg} leg ended while no instance followed the call (its owner had stopped)`,
  });
}

function onTimer(state: CallState, timer: TimerName, at: number): Transition {
  switch (timer) {
    case 'agent_ring':
      if (state.agent.status !== 'dialing' && state.agent.status !== 'ringing') return unchanged(state);
      return endCall(state, at, { outcome: 'agent_no_answer', endedBy: 'app', detail: 'no answer within the ring timeout' });
    case 'target_ring':
      if (state.target.status === 'created' && state.targetDialed) {
        return endCall(state, at, { outcome: 'failed', endedBy: 'app', detail: 'the target channel never became ready to dial', failure: { kind: 'target_never_ready' } });
      }
      if (state.target.status !== 'dialing' && state.target.status !== 'ringing') return unchanged(state);
      return endCall(state, at, { outcome: 'target_no_answer', endedBy: 'app', detail: 'no answer within the ring timeout' });
    case 'confirm':
      if (state.stage !== 'agent_answered') return unchanged(state);
      return endCall(state, at, { outcome: 'agent_not_confirmed', endedBy: 'app' });
    case 'dial_hold':
      return unchanged(state);
    case 'agent_gone':
    case 'target_gone': {
      // The event that would have explained it was lost, or is late: the leg counts as ended, cause unknown.
      const leg = timer === 'agent_gone' ? 'agent' : 'target';
      return onLegEnded(state, leg, null, null, at);
    }
    case 'request_gone': {
      const gone = state.goneRequest;
      return endCall(state, at, {
        outcome: 'failed', endedBy: 'app', ...(gone ? { detail: `${gone.request}: ${gone.error}`, failure: { kind: 'request', ...gone } } : {}),
      });
    }
  }
}

/**
 * A failed request ends the call as failed, unless Asterisk said the channel is gone: then the
 * leg's ChannelDestroyed, usually on its way, decides the outcome, and a timer stands in for it.
 */
function onRequestFailed(state: CallState, event: Extract<CallEvent, { type: 'RequestFailed' }>): Transition {
  if (!event.channelGone) {
    return endCall(state, event.at, {
      outcome: 'failed', endedBy: 'app', detail: `${event.request}: ${event.error}`, failure: { kind: 'request', request: event.request, error: event.error },
    });
  }
  if (event.leg) {
    return { state, effects: [{ type: 'StartTimer', timer: `${event.leg}_gone`, ms: CHANNEL_GONE_GRACE_MS }] };
  }
  if (state.goneRequest) return unchanged(state);
  return {
    state: { ...state, goneRequest: { request: event.request, error: event.error } },
    effects: [{ type: 'StartTimer', timer: 'request_gone', ms: CHANNEL_GONE_GRACE_MS }],
  };
}

function onCancel(state: CallState, by: CancelSource, at: number): Transition {
  if (state.stage === 'connected') {
    return endCall(state, at, { outcome: 'completed', endedBy: by === 'agent' ? 'agent' : 'app' });
  }
  return endCall(state, at, { outcome: 'cancelled', endedBy: by === 'agent' ? 'agent' : 'app', detail: `cancelled by ${by}` });
}

/** The timers an ending cancels (the dial hold is ended by holdAfterDial). */
const CALL_TIMERS = ['agent_ring', 'target_ring', 'confirm', 'agent_gone', 'target_gone', 'request_gone'] as const;

interface Ending {
  outcome: CallOutcome;
  endedBy: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  detail?: string;
  failure?: CallFailure;
}

/** Ends the call from any live stage: every leg still up is hung up, the bridge destroyed. */
function endCall(state: CallState, at: number, ending: Ending): Transition {
  const { ids } = state;
  const effects: CallEffect[] = [];
  for (const leg of ['agent', 'target'] as const) {
    const status = state[leg].status;
    if (status !== 'idle' && status !== 'ended') {
      effects.push({ type: 'HangupLeg', channelId: channelOfLeg(ids, leg) });
    }
  }
  // The bridge is asked for when the call starts.
  if (state.stage !== 'requested') effects.push({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  for (const timer of CALL_TIMERS) effects.push({ type: 'CancelTimer', timer });
  const next: CallState = {
    ...state,
    stage: 'ended',
    ringbackPlaying: false,
    outcome: ending.outcome,
    endedBy: ending.endedBy,
    hangupCause: ending.hangupCause ?? null,
    hangupCauseText: ending.hangupCauseText ?? null,
    detail: ending.detail,
    ...(ending.failure ? { failure: ending.failure } : {}),
    times: { ...state.times, endedAt: at },
  };
  effects.push({
    type: 'PersistCall',
    patch: {
      stage: 'ended', outcome: ending.outcome, endedBy: ending.endedBy,
      hangupCause: next.hangupCause, hangupCauseText: next.hangupCauseText,
      ...(ending.detail ? { detail: ending.detail } : {}),
      endedAt: new Date(at),
    },
  });
  return { state: next, effects };
}

function persisting(state: CallState, patch: CallRecordPatch): Transition {
  return { state, effects: [{ type: 'PersistCall', patch }] };
}

function unchanged(state: CallState): Transition {
  return { state, effects: [] };
}

/** Talk time in whole seconds, once a call has connected and ended. */
export function talkSeconds(state: CallState): number | null {
  const { connectedAt, endedAt } = state.times;
  return connectedAt !== undefined && endedAt !== undefined ? Math.round((endedAt - connectedAt) / 1000) : null;
}
