/**
 * A call taken over from another instance (cluster mode): its owner stopped, and the next owner of
 * the Asterisk server knows only what the Call row recorded and what Asterisk shows now. This
 * rebuilds the machine's state from both, then lets the machine decide what follows, so a taken-over
 * call obeys the same rules as any other: a connected call keeps talking, a leg that went away
 * meanwhile ends the call with the outcome that leg's state gives, and the ring and confirmation
 * timers run on from where the first owner started them.
 */
import { type CallEffect, type CallPlan, type CallState, type LegState, TIMER_GRACE_MS, type Transition, initialCallState, transition } from './call-machine';
import { leg, withLeg } from './leg-state';
import { channelOfLeg } from './call-ids';
import type { CallStage, LegName } from './call-types';
import { type AsteriskView, idsToRead, readBack } from './read-back';

/** What the Call row says of the call: how far it got, and when. */
export interface RecordedCall {
  stage: Exclude<CallStage, 'ended'>;
  requestedAt: number;
  agentRingingAt?: number;
  agentAnsweredAt?: number;
  targetRingingAt?: number;
  connectedAt?: number;
}

type LegStatus = LegState['status'];

/** How far each leg had got at each recorded stage (before Asterisk's view is applied). */
const LEGS_AT: Record<RecordedCall['stage'], { agent: LegStatus; target: LegStatus; targetDialed: boolean }> = {
  // A claimed request may have sent its originate, or not: Asterisk's view decides.
  requested: { agent: 'dialing', target: 'created', targetDialed: false },
  agent_dialing: { agent: 'dialing', target: 'created', targetDialed: false },
  agent_ringing: { agent: 'ringing', target: 'created', targetDialed: false },
  agent_answered: { agent: 'up', target: 'created', targetDialed: false },
  target_dialing: { agent: 'up', target: 'dialing', targetDialed: true },
  target_ringing: { agent: 'up', target: 'ringing', targetDialed: true },
  connected: { agent: 'up', target: 'up', targetDialed: true },
};

/** The ids of what Asterisk must be asked about before `recorded` can be resumed (see resumeCall). */
export function idsToResume(plan: CallPlan, recorded: RecordedCall): { channelIds: string[]; bridgeIds: string[] } {
  return idsToRead(recordedState(plan, recorded, new Set()));
}

export function resumeCall(plan: CallPlan, recorded: RecordedCall, view: AsteriskView, now: number): Transition {
  const bridged = new Set(Object.values(view.bridges).flatMap((bridge) => bridge?.members ?? []));
  let state = recordedState(plan, recorded, bridged);
  const effects: CallEffect[] = [...timersRunningOn(state, now)];
  if (state.stage !== recorded.stage) effects.push({ type: 'PersistCall', patch: { stage: state.stage } });
  // The events Asterisk would have sent while no instance listened, in the order they would have come.
  for (const event of readBack(state, view, false, now)) {
    const next = transition(state, event);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

/** The machine's state as the row recorded it; a leg counts in Stasis when it is in one of the call's bridges. */
function recordedState(plan: CallPlan, recorded: RecordedCall, bridged: ReadonlySet<string>): CallState {
  const base = initialCallState(plan, recorded.requestedAt);
  const legs = LEGS_AT[recorded.stage];
  const legState = (id: LegName, status: LegStatus): Partial<LegState> => {
    const inStasis = bridged.has(channelOfLeg(base.ids, id));
    return { status, inStasis, bridge: inStasis ? 'main' : null };
  };
  const withLegs = withLeg(withLeg(base, 'agent', legState('agent', legs.agent)), 'target', legState('target', legs.target));
  return {
    ...withLegs,
    stage: recorded.stage === 'requested' ? 'agent_dialing' : recorded.stage,
    bridges: ['main'],
    targetDialed: legs.targetDialed,
    // The ringback plays from the target's dial until the target answers; stopping one that ended is harmless.
    ringbackPlaying: legs.targetDialed && legs.target !== 'up',
    times: {
      requestedAt: recorded.requestedAt,
      ...(recorded.agentRingingAt !== undefined ? { agentRingingAt: recorded.agentRingingAt } : {}),
      ...(recorded.agentAnsweredAt !== undefined ? { agentAnsweredAt: recorded.agentAnsweredAt } : {}),
      ...(recorded.targetRingingAt !== undefined ? { targetRingingAt: recorded.targetRingingAt } : {}),
      ...(recorded.connectedAt !== undefined ? { connectedAt: recorded.connectedAt } : {}),
    },
  };
}

/** The machine's timers for the stage, with what is left of them since the first owner started them. */
function timersRunningOn(state: CallState, now: number): CallEffect[] {
  const { plan, times } = state;
  const left = (fullMs: number, since: number) => Math.max(0, fullMs - (now - since));
  const timers: CallEffect[] = [];
  if (leg(state, 'agent').status === 'dialing' || leg(state, 'agent').status === 'ringing') {
    timers.push({ type: 'StartTimer', timer: 'agent_ring', ms: left(plan.agentRingTimeoutS * 1000 + TIMER_GRACE_MS, times.requestedAt) });
  }
  const answeredAt = times.agentAnsweredAt ?? times.requestedAt;
  if (state.stage === 'agent_answered') {
    timers.push({ type: 'StartTimer', timer: 'confirm', ms: left(plan.confirmTimeoutS * 1000, answeredAt) });
  }
  if (state.targetDialed && leg(state, 'target').status !== 'up') {
    timers.push({ type: 'StartTimer', timer: 'target_ring', ms: left(plan.targetRingTimeoutS * 1000 + TIMER_GRACE_MS, answeredAt) });
  }
  return timers;
}
