/**
 * The call between its first two legs, the agent (`agent`) and the customer (`target`), from the
 * request until it is connected, and its ending while it has no other party. See call-machine.ts
 * for the flow; call/parties.ts takes over the events of a connected call that has gained a party.
 */
import type { CallEffect, CallEvent, CallState, CancelSource, TimerName, Transition } from './call-state';
import { CHANNEL_GONE_GRACE_MS, TIMER_GRACE_MS } from './call-timing';
import type { CallOutcome, LegId, LegName } from './call-types';
import { endCall, persisting } from './call-ending';
import { isFirstLeg, leg, unchanged, withLeg } from './leg-state';
import { withEarlyMedia, wantsRingback } from './early-media';
import { unansweredLegOutcome } from './outcomes';
import { announce, announcesFirst, recordOnJoin, recordingPatch } from './recording';

export function decideTwoParty(state: CallState, event: CallEvent): Transition {
  switch (event.type) {
    case 'CallStarted': return onCallStarted(state);
    case 'LegRinging': {
      if (!isFirstLeg(event.leg)) return unchanged(state);
      const ringing = onLegRinging(state, event.leg, event.at);
      return event.earlyMedia && event.leg === 'target' ? withEarlyMedia(state, ringing, event.at) : ringing;
    }
    case 'LegAnswered': return isFirstLeg(event.leg) ? onLegAnswered(state, event.leg, event.at) : unchanged(state);
    case 'LegEnteredStasis': return isFirstLeg(event.leg) ? onLegEnteredStasis(state, event.leg, event.at) : unchanged(state);
    case 'LegEnded': return isFirstLeg(event.leg) ? onLegEnded(state, event.leg, event.cause, event.causeText ?? null, event.at) : unchanged(state);
    case 'LegGoneUnseen': return isFirstLeg(event.leg) ? onLegGoneUnseen(state, event.leg, event.at) : unchanged(state);
    case 'DtmfReceived': return onDtmf(state, event.leg, event.digit);
    case 'TimerExpired': return onTimer(state, event.timer, event.at);
    case 'CancelRequested': return onCancel(state, event.by, event.at);
    case 'RequestFailed': return onRequestFailed(state, event);
    // Parties are call/parties.ts's; they reach here only when not allowed now.
    case 'TransferRequested':
    case 'AddPartyRequested':
    case 'ConsultFinished':
    // The recording's are call/recording.ts's.
    case 'PlaybackFinished':
    case 'RecordingEnded':
    case 'RecordingRequestFailed':
    case 'RecordingPauseRequested':
      return unchanged(state);
  }
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
  const started = withLeg(withLeg(state, 'agent', { status: 'dialing' }), 'target', { status: 'created' });
  return {
    state: { ...started, stage: 'agent_dialing', bridges: ['main'] },
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

function onLegRinging(state: CallState, id: LegName, at: number): Transition {
  if (leg(state, id).status !== 'dialing') return unchanged(state);
  const next = withLeg(state, id, { status: 'ringing' });
  if (id === 'agent' && state.stage === 'agent_dialing') {
    return persisting({ ...next, stage: 'agent_ringing', times: { ...state.times, agentRingingAt: at } },
      { stage: 'agent_ringing', agentRingingAt: new Date(at) });
  }
  if (id === 'target' && state.stage === 'target_dialing') {
    return persisting({ ...next, stage: 'target_ringing', times: { ...state.times, targetRingingAt: at } },
      { stage: 'target_ringing', targetRingingAt: new Date(at) });
  }
  return { state: next, effects: [] };
}

function onLegAnswered(state: CallState, id: LegName, at: number): Transition {
  const current = leg(state, id);
  if (current.status !== 'dialing' && current.status !== 'ringing') return unchanged(state);
  const answered = withLeg(state, id, { status: 'up', answeredAt: at });
  if (id === 'target') {
    // Under the consent policy the customer hears the announcement first, outside the bridge (call/recording.ts).
    if (announcesFirst(state)) return announce(answered, at);
    // It was dialed only once it was in the bridge, so answering connects it.
    const connected: CallState = { ...answered, stage: 'connected', ringbackPlaying: false, times: { ...state.times, connectedAt: at } };
    const recorded = recordOnJoin(connected, at);
    return {
      state: recorded.state,
      effects: [
        ...(state.ringbackPlaying ? [{ type: 'StopRingback', playbackId: state.ids.ringbackId } as const] : []),
        { type: 'CancelTimer', timer: 'target_ring' },
        { type: 'PersistCall', patch: { stage: 'connected', connectedAt: new Date(at), ...recordingPatch(recorded.state.recording) } },
        ...recorded.effects,
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
  if (leg(next, 'target').inStasis) next = withDial(next, effects);
  effects.push({ type: 'StartTimer', timer: 'target_ring', ms: plan.targetRingTimeoutS * 1000 + TIMER_GRACE_MS });
  if (leg(state, 'agent').inStasis && !state.ringbackPlaying) {
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
  return withLeg(state, 'target', { status: 'dialing' });
}

function onLegEnteredStasis(state: CallState, id: LegName, at: number): Transition {
  const current = leg(state, id);
  if (current.inStasis || current.status === 'ended') return unchanged(state);
  if (id === 'target') {
    // The created target is in Stasis (still Down): into the bridge, and dialed if it is time.
    if (current.status !== 'created') return unchanged(state);
    // Under the consent policy it stays out of the bridge until it has heard the announcement.
    const alone = announcesFirst(state);
    const effects: CallEffect[] = alone ? [] : [{ type: 'AddToBridge', bridgeId: state.ids.bridgeId, channelId: state.ids.targetChannelId }];
    const inStasis = withLeg(state, 'target', { inStasis: true, bridge: alone ? null : 'main' });
    return { state: state.targetDialed ? withDial(inStasis, effects) : inStasis, effects };
  }
  // The agent's StasisStart only follows an answer; if the answer event was lost (a reconnect), take it as one.
  if (current.status === 'idle' || current.status === 'created') return unchanged(state);
  let next: CallState = state;
  let effects: CallEffect[] = [];
  if (current.status !== 'up') ({ state: next, effects } = onLegAnswered(state, id, at));
  next = withLeg(next, 'agent', { status: 'up', inStasis: true, bridge: 'main' });
  const { ids } = next;
  effects = [...effects, { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.agentChannelId }];
  if (next.targetDialed && !next.ringbackPlaying && next.stage !== 'connected' && wantsRingback(next)) {
    effects.push({ type: 'StartRingback', channelId: ids.agentChannelId, playbackId: ids.ringbackId });
    next = { ...next, ringbackPlaying: true };
  }
  return { state: next, effects };
}

function onDtmf(state: CallState, id: LegId, digit: string): Transition {
  if (id !== 'agent' || state.stage !== 'agent_answered' || digit !== state.plan.confirmDigit) return unchanged(state);
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

export function onLegEnded(state: CallState, id: LegName, cause: number | null, causeText: string | null, at: number): Transition {
  const current = leg(state, id);
  if (current.status === 'ended' || current.status === 'idle') return unchanged(state);
  const ended = withLeg(state, id, { status: 'ended', inStasis: false, bridge: null, endedAt: at, hangupCause: cause });
  const hangup = { hangupCause: cause, hangupCauseText: causeText };
  if (current.status === 'created') {
    // Nothing dialed it: it was hung up or lost on Asterisk's side.
    return endCall(ended, at, {
      outcome: 'failed', endedBy: id, ...hangup, detail: `the ${id} channel ended before it was dialed`, failure: { kind: 'target_lost_before_dial' },
    });
  }
  if (state.stage === 'connected') return endCall(ended, at, { outcome: 'completed', endedBy: id, ...hangup });
  if (current.status === 'up') {
    // The agent gave up before the target answered, or the target hung up on answering.
    const outcome: CallOutcome = id === 'agent' ? 'agent_hung_up' : 'target_rejected';
    return endCall(ended, at, { outcome, endedBy: id, ...hangup });
  }
  const reach = current.status === 'ringing' ? 'ringing' : 'dialing';
  return endCall(ended, at, { outcome: unansweredLegOutcome(id, reach, cause), endedBy: id, ...hangup });
}

/**
 * A leg that was up ended the call as any hang-up does; one that had not answered ended it in a way
 * nobody saw, so the call is interrupted rather than given an outcome nobody observed.
 */
function onLegGoneUnseen(state: CallState, id: LegName, at: number): Transition {
  const current = leg(state, id);
  if (current.status === 'up') return onLegEnded(state, id, null, 'gone while no instance followed the call', at);
  if (current.status === 'ended' || current.status === 'idle') return unchanged(state);
  return endCall(withLeg(state, id, { status: 'ended', inStasis: false, bridge: null, endedAt: at }), at, {
    outcome: 'interrupted', endedBy: id, detail: `the ${id} leg ended while no instance followed the call (its owner had stopped)`,
  });
}

function onTimer(state: CallState, timer: TimerName, at: number): Transition {
  const agent = leg(state, 'agent');
  const target = leg(state, 'target');
  switch (timer) {
    case 'agent_ring':
      if (agent.status !== 'dialing' && agent.status !== 'ringing') return unchanged(state);
      return endCall(state, at, { outcome: 'agent_no_answer', endedBy: 'app', detail: 'no answer within the ring timeout' });
    case 'target_ring':
      if (target.status === 'created' && state.targetDialed) {
        return endCall(state, at, { outcome: 'failed', endedBy: 'app', detail: 'the target channel never became ready to dial', failure: { kind: 'target_never_ready' } });
      }
      if (target.status !== 'dialing' && target.status !== 'ringing') return unchanged(state);
      return endCall(state, at, { outcome: 'target_no_answer', endedBy: 'app', detail: 'no answer within the ring timeout' });
    case 'confirm':
      if (state.stage !== 'agent_answered') return unchanged(state);
      return endCall(state, at, { outcome: 'agent_not_confirmed', endedBy: 'app' });
    case 'dial_hold':
      return unchanged(state);
    case 'agent_gone':
    case 'target_gone':
      // The event that would have explained it was lost, or is late: the leg counts as ended, cause unknown.
      return onLegEnded(state, timer === 'agent_gone' ? 'agent' : 'target', null, null, at);
    case 'request_gone': {
      const gone = state.goneRequest;
      return endCall(state, at, {
        outcome: 'failed', endedBy: 'app', ...(gone ? { detail: `${gone.request}: ${gone.error}`, failure: { kind: 'request', ...gone } } : {}),
      });
    }
    default:
      // An added leg's timer: call/parties.ts's, and stale here.
      return unchanged(state);
  }
}

/**
 * A failed request ends the call as failed, unless Asterisk said the channel is gone: then the
 * leg's ChannelDestroyed, usually on its way, decides the outcome, and a timer stands in for it.
 */
export function onRequestFailed(state: CallState, event: Extract<CallEvent, { type: 'RequestFailed' }>): Transition {
  if (!event.channelGone) {
    return endCall(state, event.at, {
      outcome: 'failed', endedBy: 'app', detail: `${event.request}: ${event.error}`, failure: { kind: 'request', request: event.request, error: event.error },
    });
  }
  if (event.leg) {
    return { state, effects: [{ type: 'StartTimer', timer: goneTimer(event.leg), ms: CHANNEL_GONE_GRACE_MS }] };
  }
  if (state.goneRequest) return unchanged(state);
  return {
    state: { ...state, goneRequest: { request: event.request, error: event.error } },
    effects: [{ type: 'StartTimer', timer: 'request_gone', ms: CHANNEL_GONE_GRACE_MS }],
  };
}

/** The timer that stands in for a leg's ChannelDestroyed after a request found its channel gone. */
export function goneTimer(id: LegId): TimerName {
  return isFirstLeg(id) ? `${id}_gone` : `party_gone:${id}`;
}

function onCancel(state: CallState, by: CancelSource, at: number): Transition {
  if (state.stage === 'connected') {
    return endCall(state, at, { outcome: 'completed', endedBy: by === 'agent' ? 'agent' : 'app' });
  }
  return endCall(state, at, { outcome: 'cancelled', endedBy: by === 'agent' ? 'agent' : 'app', detail: `cancelled by ${by}` });
}
