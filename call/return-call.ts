/**
 * A customer's call coming in on a pool number, until it is connected: the steps between the
 * customer's channel entering Stasis and an agent joining them. Once connected it is a call like
 * any other (call/two-party.ts ends it, call/parties.ts transfers it).
 *
 *   requested ─CallStarted→ RingLeg(customer), CreateBridge, OriginateLeg(agent #1) → agent_dialing
 *     ─ringing→ agent_ringing ─agent in Stasis→ AddToBridge(agent), AnswerLeg(customer), AddToBridge(customer) → connected
 *   with an announcement to the agent (RETURN_CALL_ANNOUNCE): agent in Stasis → PlayAnnouncement(agent)
 *     ─PlaybackFinished (or its failure, or the timer)→ the same joining steps
 *   agent busy, unreachable, ends or rings past the timeout → their leg is hung up, then the next
 *   agent is rung on the same leg (`<callId>-agent`, free again once the last one is gone)
 *   nobody left → AnswerLeg(customer), the missed-call message → ended (the last try's outcome)
 *   the customer hangs up before → ended `cancelled` by the customer
 *
 * The customer's channel is only answered once someone is there to talk (or for the message):
 * until then Asterisk sends the caller 180 Ringing, which their own phone turns into ringback.
 */
import type { CallEffect, CallEvent, CallState, ReturnCallAgent, ReturnCallPlan, ReturnCallProgress, Transition } from './call-state';
import { CHANNEL_GONE_GRACE_MS, TIMER_GRACE_MS } from './call-timing';
import type { CallOutcome } from './call-types';
import { endCall } from './call-ending';
import { leg, unchanged, withLeg } from './leg-state';
import { unansweredLegOutcome } from './outcomes';
import { announce, announcesFirst, recordOnJoin, recordingPatch } from './recording';

/** What the agent hears for `tone` (and for `digits` when the customer's number has none): Asterisk's core sound. */
export const AGENT_ANNOUNCEMENT_TONE = 'sound:beep';

/** The media played to the agent before the customer is joined; undefined when there is none. */
export function agentAnnouncementMedia(plan: ReturnCallPlan): string | undefined {
  const how = plan.agentAnnouncement ?? 'off';
  if (how === 'off') return undefined;
  const digits = plan.customerNumber.replace(/\D/g, '');
  return how === 'digits' && digits !== '' ? `digits:${digits}` : AGENT_ANNOUNCEMENT_TONE;
}

/** How long the agent's announcement may take before the customer is joined anyway (its PlaybackFinished lost): a second a digit, and some. */
export function agentAnnouncementMaxMs(media: string): number {
  const digits = media.startsWith('digits:') ? media.length - 'digits:'.length : 1;
  return digits * 1000 + 5000;
}

/** The customer's channel named by Asterisk stands as the `target` leg; it is in Stasis and ringing from the start. */
export function returnCallState(state: CallState): CallState {
  const plan = state.plan.returnCall;
  if (!plan) return state;
  const ids = { ...state.ids, targetChannelId: plan.customerChannelId };
  const legs = state.legs.map((l) => (l.id === 'target'
    ? { ...l, channelId: plan.customerChannelId, endpoint: '', label: plan.customerNumber, status: 'ringing' as const, inStasis: true }
    : l));
  return { ...state, ids, legs, returnCall: { attempt: 0, tries: [], phase: 'ringing' } };
}

/** The return call's own events: everything until it is connected. */
export function isReturnCallEvent(state: CallState): boolean {
  return state.returnCall !== undefined && state.stage !== 'connected' && state.stage !== 'ended';
}

export function decideReturnCall(state: CallState, event: CallEvent): Transition {
  const progress = state.returnCall!;
  switch (event.type) {
    case 'CallStarted': return onStarted(state, event.at);
    case 'LegRinging':
      if (event.leg !== 'agent' || leg(state, 'agent').status !== 'dialing' || progress.phase !== 'ringing') return unchanged(state);
      return {
        state: { ...withLeg(state, 'agent', { status: 'ringing' }), stage: 'agent_ringing', times: { ...state.times, agentRingingAt: event.at } },
        effects: [{ type: 'PersistCall', patch: { stage: 'agent_ringing', agentRingingAt: new Date(event.at) } }],
      };
    case 'LegAnswered':
      if (event.leg !== 'agent' || progress.phase !== 'ringing' || !isRinging(state)) return unchanged(state);
      return {
        state: { ...withLeg(state, 'agent', { status: 'up', answeredAt: event.at }), times: { ...state.times, agentAnsweredAt: event.at } },
        effects: [{ type: 'CancelTimer', timer: 'agent_ring' }],
      };
    case 'LegEnteredStasis':
      if (event.leg !== 'agent' || progress.phase !== 'ringing') return unchanged(state);
      return onAgentInStasis(state, event.at);
    case 'LegEnded':
    case 'LegGoneUnseen':
      if (event.leg === 'target') {
        return endCall(withLeg(state, 'target', { status: 'ended', inStasis: false, endedAt: event.at }), event.at, {
          outcome: 'cancelled', endedBy: 'target', hangupCause: event.type === 'LegEnded' ? event.cause : null,
          detail: 'the customer hung up before an agent answered',
        });
      }
      if (event.leg !== 'agent') return unchanged(state);
      return onAgentGone(state, event.type === 'LegEnded' ? event.cause : null, event.at);
    case 'TimerExpired':
      if (event.timer === 'agent_ring' && progress.phase === 'ringing' && isRinging(state)) return dropAgent(state, 'agent_no_answer');
      if (event.timer === 'agent_gone' && progress.phase === 'dropping') return onAgentGone(state, null, event.at);
      if (event.timer === 'announcement' && progress.phase === 'missed') return endMissed(state, event.at);
      if (event.timer === 'announcement' && progress.phase === 'announcing') return join(state, event.at);
      return unchanged(state);
    case 'PlaybackFinished':
      // Played or not (no such sound), the agent's announcement is over: the customer is joined.
      if (progress.phase === 'announcing' && event.playbackId === state.ids.agentAnnouncementId) return join(state, event.at);
      if (progress.phase !== 'missed' || event.playbackId !== state.ids.announcementId) return unchanged(state);
      return endMissed(state, event.at);
    case 'RecordingRequestFailed':
      // Asterisk refused to play the agent's announcement: they are joined without it (a gone agent's LegEnded comes on its own).
      if (event.request !== 'announce' || progress.phase !== 'announcing' || event.channelGone) return unchanged(state);
      return join(state, event.at);
    case 'RequestFailed':
      // The agent's phone could not even be called: that agent is unreachable, the next one is tried.
      if (event.request === 'originate agent' && progress.phase === 'ringing') {
        return nextAgent(withTry(withLeg(state, 'agent', { status: 'ended', endedAt: event.at }), 'agent_unreachable'), event.at);
      }
      return endCall(state, event.at, {
        outcome: 'failed', endedBy: 'app', detail: `${event.request}: ${event.error}`, failure: { kind: 'request', request: event.request, error: event.error },
      });
    case 'CancelRequested':
      return endCall(state, event.at, { outcome: 'cancelled', endedBy: event.by === 'agent' ? 'agent' : 'app', detail: `cancelled by ${event.by}` });
    default:
      return unchanged(state);
  }
}

function onStarted(state: CallState, at: number): Transition {
  if (state.stage !== 'requested') return unchanged(state);
  const { ids } = state;
  const rung: Transition = {
    state: { ...state, bridges: ['main'] },
    effects: [{ type: 'RingLeg', channelId: ids.targetChannelId }, { type: 'CreateBridge', bridgeId: ids.bridgeId }],
  };
  const next = ringAgent(rung.state, 0, at);
  return { state: next.state, effects: [...rung.effects, ...next.effects] };
}

/** Rings the plan's agent number `attempt`, or plays the missed-call message when there is none left. */
function ringAgent(state: CallState, attempt: number, at: number): Transition {
  const plan = state.plan.returnCall!;
  const agent: ReturnCallAgent | undefined = plan.agents[attempt];
  if (!agent) return missed(state);
  const { ids } = state;
  const ringTimeoutS = state.plan.agentRingTimeoutS;
  const legs = state.legs.map((l) => (l.id === 'agent'
    ? {
      id: l.id, role: l.role, channelId: ids.agentChannelId, endpoint: agent.endpoint, label: agent.label, agentId: agent.agentId,
      status: 'dialing' as const, inStasis: false, bridge: null, requestedAt: at,
    }
    : l));
  return {
    state: {
      ...state, legs, stage: 'agent_dialing',
      plan: { ...state.plan, agentId: agent.agentId, agentLabel: agent.label, agentEndpoint: agent.endpoint },
      owner: { agentId: agent.agentId, legId: 'agent' },
      returnCall: { ...state.returnCall!, attempt, phase: 'ringing' },
    },
    effects: [
      {
        // The agent's phone shows the customer's number: they see who calls back before answering.
        type: 'OriginateLeg', leg: 'agent', channelId: ids.agentChannelId, endpoint: agent.endpoint,
        callerId: plan.customerNumber, timeoutS: ringTimeoutS, appArgs: `agent,${state.plan.callId}`,
      },
      { type: 'StartTimer', timer: 'agent_ring', ms: ringTimeoutS * 1000 + TIMER_GRACE_MS },
      { type: 'PersistCall', patch: { stage: 'agent_dialing', ...(attempt > 0 ? { onCallAgentId: agent.agentId } : {}) } },
    ],
  };
}

/**
 * The agent is in Stasis, answered: with an announcement to the agent, they hear it alone first
 * (the customer still hears ringing, their channel unanswered); otherwise they are joined now.
 */
function onAgentInStasis(state: CallState, at: number): Transition {
  const agent = leg(state, 'agent');
  if (agent.status === 'ended' || agent.inStasis) return unchanged(state);
  const media = agentAnnouncementMedia(state.plan.returnCall!);
  if (media === undefined) return join(state, at);
  const answeredAt = agent.answeredAt ?? at;
  const { ids } = state;
  return {
    state: {
      ...withLeg(state, 'agent', { status: 'up', answeredAt, inStasis: true }),
      times: { ...state.times, agentAnsweredAt: answeredAt },
      returnCall: { ...state.returnCall!, phase: 'announcing' },
    },
    effects: [
      { type: 'CancelTimer', timer: 'agent_ring' },
      { type: 'PlayAnnouncement', channelId: ids.agentChannelId, playbackId: ids.agentAnnouncementId, media },
      { type: 'StartTimer', timer: 'announcement', ms: agentAnnouncementMaxMs(media) },
      { type: 'PersistCall', patch: { agentAnsweredAt: new Date(answeredAt) } },
    ],
  };
}

/** Both join the bridge, and only now is the customer answered. */
function join(state: CallState, at: number): Transition {
  const agent = leg(state, 'agent');
  const { ids } = state;
  const answeredAt = agent.answeredAt ?? at;
  const wasAnnouncing = state.returnCall?.phase === 'announcing';
  const { returnCall: _progress, ...rest } = state;
  const joined = withLeg(withLeg(rest, 'agent', { status: 'up', answeredAt, inStasis: true, bridge: 'main' }), 'target', {
    status: 'up', answeredAt: at, bridge: 'main',
  });
  const agentJoins: CallEffect[] = [
    ...(wasAnnouncing ? [{ type: 'CancelTimer', timer: 'announcement' } as const] : [{ type: 'CancelTimer', timer: 'agent_ring' } as const]),
    { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.agentChannelId },
    { type: 'AnswerLeg', channelId: ids.targetChannelId },
  ];
  if (announcesFirst(state)) {
    // The route's policy `consent`: the customer hears the announcement alone first, then joins
    // and the recording starts, as on an outbound call (call/recording.ts).
    const waiting = withLeg(joined, 'target', { bridge: null });
    const announced = announce({ ...waiting, times: { ...state.times, agentAnsweredAt: answeredAt } }, at);
    return {
      state: announced.state,
      effects: [...agentJoins, { type: 'PersistCall', patch: { agentAnsweredAt: new Date(answeredAt) } }, ...announced.effects],
    };
  }
  // The route's policy `on`: the bridge is recorded from the moment the two are joined.
  const recorded = recordOnJoin({ ...joined, stage: 'connected', times: { ...state.times, agentAnsweredAt: answeredAt, connectedAt: at } }, at);
  return {
    state: recorded.state,
    effects: [
      ...agentJoins,
      { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.targetChannelId },
      { type: 'PersistCall', patch: { stage: 'connected', agentAnsweredAt: new Date(answeredAt), connectedAt: new Date(at), ...recordingPatch(recorded.state.recording) } },
      ...recorded.effects,
    ],
  };
}

function isRinging(state: CallState): boolean {
  const status = leg(state, 'agent').status;
  return status === 'dialing' || status === 'ringing';
}

/** The agent rang too long: their leg is hung up, and the next is rung once it is gone (the leg's channel id is reused). */
function dropAgent(state: CallState, outcome: CallOutcome): Transition {
  const tried = withTry(state, outcome);
  return {
    state: { ...tried, returnCall: { ...tried.returnCall!, phase: 'dropping' } },
    effects: [
      { type: 'HangupLeg', channelId: state.ids.agentChannelId },
      { type: 'StartTimer', timer: 'agent_gone', ms: CHANNEL_GONE_GRACE_MS },
    ],
  };
}

function onAgentGone(state: CallState, cause: number | null, at: number): Transition {
  const progress = state.returnCall!;
  const agent = leg(state, 'agent');
  if (progress.phase === 'missed' || agent.status === 'ended' || agent.status === 'idle') return unchanged(state);
  const ended = withLeg(state, 'agent', { status: 'ended', inStasis: false, bridge: null, endedAt: at, hangupCause: cause });
  if (progress.phase === 'dropping') {
    return withCancel(nextAgent(ended, at), 'agent_gone');
  }
  const outcome: CallOutcome = agent.status === 'up' ? 'agent_hung_up' : unansweredLegOutcome('agent', agent.status === 'ringing' ? 'ringing' : 'dialing', cause);
  // An agent who hangs up during their announcement did not take the call: the next one is rung.
  return withCancel(nextAgent(withTry(ended, outcome), at), progress.phase === 'announcing' ? 'announcement' : 'agent_ring');
}

function nextAgent(state: CallState, at: number): Transition {
  return ringAgent(state, state.returnCall!.attempt + 1, at);
}

/** Nobody answered: the customer is answered for the message, then the call ends. */
function missed(state: CallState): Transition {
  const plan = state.plan.returnCall!;
  const { ids } = state;
  return {
    state: { ...state, returnCall: { ...state.returnCall!, phase: 'missed' } },
    effects: [
      { type: 'AnswerLeg', channelId: ids.targetChannelId },
      { type: 'PlayAnnouncement', channelId: ids.targetChannelId, playbackId: ids.announcementId, media: plan.missedMessage },
      { type: 'StartTimer', timer: 'announcement', ms: plan.missedMessageTimeoutS * 1000 },
    ],
  };
}

function endMissed(state: CallState, at: number): Transition {
  const last = state.returnCall!.tries.at(-1)?.outcome ?? 'agent_unreachable';
  return endCall(state, at, { outcome: last, endedBy: 'app', detail: `return call missed: ${describeTries(state.returnCall!)}` });
}

/** For the row's detail: who was rung and how each try ended, or that nobody was free. */
export function describeTries(progress: ReturnCallProgress): string {
  if (progress.tries.length === 0) return 'no agent was free';
  return progress.tries.map((t) => `agent ${t.agentId} ${t.outcome}`).join(', ');
}

function withTry(state: CallState, outcome: CallOutcome): CallState {
  const progress = state.returnCall!;
  const agentId = leg(state, 'agent').agentId ?? state.plan.agentId;
  return { ...state, returnCall: { ...progress, tries: [...progress.tries, { agentId, outcome }] } };
}

function withCancel(decided: Transition, timer: 'agent_ring' | 'agent_gone' | 'announcement'): Transition {
  return { state: decided.state, effects: [{ type: 'CancelTimer', timer }, ...decided.effects] };
}
