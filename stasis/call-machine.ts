/**
 * The call as a pure state machine: `transition(state, event) -> { state, effects }`.
 * No I/O, no timers, no clock: events carry their time, effects say what should happen, and the
 * runner (call-runner.ts) does it and feeds the results back in as events.
 *
 * The flow, agent first:
 *   requested ─OriginateLeg(agent)→ agent_dialing ─ringing→ agent_ringing ─answered→
 *   agent_answered (only while waiting for the confirmation digit) → target_dialing ─ringing→
 *   target_ringing ─target in Stasis→ connected ─either leg ends→ ended
 * Any leg ending, a timer, a cancel or a failed request ends the call from any live stage; ending
 * always hangs up every leg still up and destroys the bridge, because Asterisk does neither.
 */
import type { CallOutcome, CallStage, LegName, RouteCode } from './call-types';
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

export interface CallIds {
  agentChannelId: string;
  targetChannelId: string;
  bridgeId: string;
  ringbackId: string;
}

/** Ids are derived from the call id so events can be matched before Asterisk confirms anything. */
export function callIds(callId: string): CallIds {
  return {
    agentChannelId: `${callId}-agent`,
    targetChannelId: `${callId}-target`,
    bridgeId: `${callId}-bridge`,
    ringbackId: `${callId}-ringback`,
  };
}

/** Ours own timers are a safety net behind Asterisk's: they fire a little after Asterisk's should. */
export const TIMER_GRACE_MS = 5000;

export type LegStatus = 'idle' | 'dialing' | 'ringing' | 'up' | 'ended';

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
  bridgeRequested: boolean;
  ringbackPlaying: boolean;
  /** The target leg has been asked to ring (it may not be ringing yet). */
  targetDialed: boolean;
  times: CallTimes;
  outcome?: CallOutcome;
  endedBy?: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  detail?: string;
}

export type TimerName = 'agent_ring' | 'target_ring' | 'confirm';
export type CancelSource = 'agent' | 'admin' | 'system';

export type CallEvent =
  | { type: 'CallStarted'; at: number }
  | { type: 'LegRinging'; leg: LegName; at: number }
  | { type: 'LegAnswered'; leg: LegName; at: number }
  | { type: 'LegEnteredStasis'; leg: LegName; at: number }
  | { type: 'LegEnded'; leg: LegName; cause: number | null; causeText?: string | null; at: number }
  | { type: 'DtmfReceived'; leg: LegName; digit: string; at: number }
  | { type: 'TimerExpired'; timer: TimerName; at: number }
  | { type: 'CancelRequested'; by: CancelSource; at: number }
  | { type: 'RequestFailed'; request: string; error: string; at: number };

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
  | { type: 'OriginateLeg'; leg: LegName; channelId: string; endpoint: string; callerId: string | null; timeoutS: number; appArgs: string; originatorId?: string }
  | { type: 'CreateBridge'; bridgeId: string }
  | { type: 'AddToBridge'; bridgeId: string; channelId: string }
  | { type: 'StartRingback'; channelId: string; playbackId: string }
  | { type: 'StopRingback'; playbackId: string }
  | { type: 'HangupLeg'; channelId: string }
  | { type: 'DestroyBridge'; bridgeId: string }
  | { type: 'StartTimer'; timer: TimerName; ms: number }
  | { type: 'CancelTimer'; timer: TimerName }
  | { type: 'PersistCall'; patch: CallRecordPatch };

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
    bridgeRequested: false,
    ringbackPlaying: false,
    targetDialed: false,
    times: { requestedAt },
  };
}

export function transition(state: CallState, event: CallEvent): Transition {
  if (state.stage === 'ended') return unchanged(state);
  switch (event.type) {
    case 'CallStarted': return onCallStarted(state);
    case 'LegRinging': return onLegRinging(state, event.leg, event.at);
    case 'LegAnswered': return onLegAnswered(state, event.leg, event.at);
    case 'LegEnteredStasis': return onLegEnteredStasis(state, event.leg, event.at);
    case 'LegEnded': return onLegEnded(state, event.leg, event.cause, event.causeText ?? null, event.at);
    case 'DtmfReceived': return onDtmf(state, event.leg, event.digit);
    case 'TimerExpired': return onTimer(state, event.timer, event.at);
    case 'CancelRequested': return onCancel(state, event.by, event.at);
    case 'RequestFailed':
      return endCall(state, event.at, { outcome: 'failed', endedBy: 'app', detail: `${event.request}: ${event.error}` });
  }
}

function onCallStarted(state: CallState): Transition {
  if (state.stage !== 'requested') return unchanged(state);
  const { plan, ids } = state;
  return {
    state: { ...state, stage: 'agent_dialing', agent: { status: 'dialing', inStasis: false } },
    effects: [
      {
        type: 'OriginateLeg', leg: 'agent', channelId: ids.agentChannelId, endpoint: plan.agentEndpoint,
        callerId: plan.callerId, timeoutS: plan.agentRingTimeoutS, appArgs: `agent,${plan.callId}`,
      },
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
    // The bridge is made while the phone rings, so that on answer adding the agent is one request.
    const ringing: CallState = { ...next, stage: 'agent_ringing', bridgeRequested: true, times: { ...state.times, agentRingingAt: at } };
    return {
      state: ringing,
      effects: [
        ...(state.bridgeRequested ? [] : [{ type: 'CreateBridge', bridgeId: state.ids.bridgeId } as const]),
        { type: 'PersistCall', patch: { stage: 'agent_ringing', agentRingingAt: new Date(at) } },
      ],
    };
  }
  if (leg === 'target' && state.stage === 'target_dialing') {
    return persisting({ ...next, stage: 'target_ringing', times: { ...state.times, targetRingingAt: at } },
      { stage: 'target_ringing', targetRingingAt: new Date(at) });
  }
  return { state: next, effects: [] };
}

function onLegAnswered(state: CallState, leg: LegName, at: number): Transition {
  const current = state[leg];
  if (current.status === 'up' || current.status === 'ended' || current.status === 'idle') return unchanged(state);
  const answered = { ...state, [leg]: { ...current, status: 'up' as const } };
  if (leg === 'target') return { state: answered, effects: [] }; // connected once it is in Stasis and can be bridged

  const times = { ...state.times, agentAnsweredAt: at };
  // Normally made while the agent rang; if no ringing was reported, now, while the channel is
  // still on its way into Stasis.
  const bridge: CallEffect[] = state.bridgeRequested ? [] : [{ type: 'CreateBridge', bridgeId: state.ids.bridgeId }];
  const common: CallEffect[] = [{ type: 'CancelTimer', timer: 'agent_ring' }];
  if (state.plan.confirmDigit) {
    return {
      state: { ...answered, stage: 'agent_answered', bridgeRequested: true, times },
      effects: [
        ...bridge, ...common,
        { type: 'StartTimer', timer: 'confirm', ms: state.plan.confirmTimeoutS * 1000 },
        { type: 'PersistCall', patch: { stage: 'agent_answered', agentAnsweredAt: new Date(at) } },
      ],
    };
  }
  // Dial the target first: every other request can wait, the customer's phone should not.
  const dialed = dialTarget({ ...answered, bridgeRequested: true, times });
  return {
    state: dialed.state,
    effects: [
      dialed.effects[0]!, ...bridge, ...common, ...dialed.effects.slice(1),
      { type: 'PersistCall', patch: { stage: 'target_dialing', agentAnsweredAt: new Date(at) } },
    ],
  };
}

function dialTarget(state: CallState): Transition {
  const { plan, ids } = state;
  const effects: CallEffect[] = [
    {
      type: 'OriginateLeg', leg: 'target', channelId: ids.targetChannelId, endpoint: plan.targetEndpoint,
      callerId: plan.callerId, timeoutS: plan.targetRingTimeoutS, appArgs: `target,${plan.callId}`, originatorId: ids.agentChannelId,
    },
    { type: 'StartTimer', timer: 'target_ring', ms: plan.targetRingTimeoutS * 1000 + TIMER_GRACE_MS },
  ];
  let next: CallState = { ...state, stage: 'target_dialing', target: { status: 'dialing', inStasis: false }, targetDialed: true };
  if (state.agent.inStasis && !state.ringbackPlaying) {
    effects.push({ type: 'StartRingback', channelId: ids.agentChannelId, playbackId: ids.ringbackId });
    next = { ...next, ringbackPlaying: true };
  }
  return { state: next, effects };
}

function onLegEnteredStasis(state: CallState, leg: LegName, at: number): Transition {
  const current = state[leg];
  if (current.inStasis || current.status === 'ended') return unchanged(state);
  // StasisStart only follows an answer; if the answer event was lost (a reconnect), take it as one.
  let next: CallState = state;
  let effects: CallEffect[] = [];
  if (current.status !== 'up') ({ state: next, effects } = onLegAnswered(state, leg, at));
  next = { ...next, [leg]: { status: 'up', inStasis: true } };
  const { ids } = next;
  if (leg === 'agent') {
    effects = [...effects, { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.agentChannelId }];
    if (next.targetDialed && !next.ringbackPlaying) {
      effects.push({ type: 'StartRingback', channelId: ids.agentChannelId, playbackId: ids.ringbackId });
      next = { ...next, ringbackPlaying: true };
    }
    return { state: next, effects };
  }
  const connected: CallState = { ...next, stage: 'connected', ringbackPlaying: false, times: { ...next.times, connectedAt: at } };
  return {
    state: connected,
    effects: [
      ...effects,
      { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.targetChannelId },
      ...(next.ringbackPlaying ? [{ type: 'StopRingback', playbackId: ids.ringbackId } as const] : []),
      { type: 'CancelTimer', timer: 'target_ring' },
      { type: 'PersistCall', patch: { stage: 'connected', connectedAt: new Date(at) } },
    ],
  };
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
  if (state.stage === 'connected') return endCall(ended, at, { outcome: 'completed', endedBy: leg, ...hangup });
  if (current.status === 'up') {
    // The agent gave up before the target answered, or the target hung up on answering.
    const outcome: CallOutcome = leg === 'agent' ? 'agent_hung_up' : 'target_rejected';
    return endCall(ended, at, { outcome, endedBy: leg, ...hangup });
  }
  const reach = current.status === 'ringing' ? 'ringing' : 'dialing';
  return endCall(ended, at, { outcome: unansweredLegOutcome(leg, reach, cause), endedBy: leg, ...hangup });
}

function onTimer(state: CallState, timer: TimerName, at: number): Transition {
  switch (timer) {
    case 'agent_ring':
      if (state.agent.status !== 'dialing' && state.agent.status !== 'ringing') return unchanged(state);
      return endCall(state, at, { outcome: 'agent_no_answer', endedBy: 'app', detail: 'no answer within the ring timeout' });
    case 'target_ring':
      if (state.target.status !== 'dialing' && state.target.status !== 'ringing') return unchanged(state);
      return endCall(state, at, { outcome: 'target_no_answer', endedBy: 'app', detail: 'no answer within the ring timeout' });
    case 'confirm':
      if (state.stage !== 'agent_answered') return unchanged(state);
      return endCall(state, at, { outcome: 'agent_not_confirmed', endedBy: 'app' });
  }
}

function onCancel(state: CallState, by: CancelSource, at: number): Transition {
  if (state.stage === 'connected') {
    return endCall(state, at, { outcome: 'completed', endedBy: by === 'agent' ? 'agent' : 'app' });
  }
  return endCall(state, at, { outcome: 'cancelled', endedBy: by === 'agent' ? 'agent' : 'app', detail: `cancelled by ${by}` });
}

interface Ending {
  outcome: CallOutcome;
  endedBy: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  detail?: string;
}

/** Ends the call from any live stage: every leg still up is hung up, the bridge destroyed. */
function endCall(state: CallState, at: number, ending: Ending): Transition {
  const { ids } = state;
  const effects: CallEffect[] = [];
  for (const leg of ['agent', 'target'] as const) {
    const status = state[leg].status;
    if (status !== 'idle' && status !== 'ended') {
      effects.push({ type: 'HangupLeg', channelId: leg === 'agent' ? ids.agentChannelId : ids.targetChannelId });
    }
  }
  if (state.bridgeRequested) effects.push({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  for (const timer of ['agent_ring', 'target_ring', 'confirm'] as const) effects.push({ type: 'CancelTimer', timer });
  const next: CallState = {
    ...state,
    stage: 'ended',
    ringbackPlaying: false,
    outcome: ending.outcome,
    endedBy: ending.endedBy,
    hangupCause: ending.hangupCause ?? null,
    hangupCauseText: ending.hangupCauseText ?? null,
    detail: ending.detail,
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
