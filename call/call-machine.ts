/**
 * The call as a pure state machine: `transition(state, event) -> { state, effects }`.
 * No I/O, no timers, no clock: events carry their time, effects say what should happen, and the
 * runner (engine/call-runner.ts) does it and feeds the results back in as events.
 *
 * A call is a set of legs around bridges. The first two legs are the agent (`agent`) and the
 * customer (`target`); legs a transfer, a consultation or a conference adds are `p3`, `p4`, ….
 * The main bridge (`<callId>-bridge`) holds the conversation; a consultation has its own
 * (`<callId>-consult`) while the customer waits on hold in the main one.
 *
 * The two-party flow (call/two-party.ts), agent first:
 *   requested ─OriginateLeg(agent), CreateBridge, CreateLeg(target)→ agent_dialing ─ringing→
 *   agent_ringing ─answered→ agent_answered (only while waiting for the confirmation digit) →
 *   target_dialing (DialLeg) ─ringing→ target_ringing ─target answered→ connected ─either leg ends→ ended
 * The target's channel is made, and put in the bridge, while the agent's phone rings: on the
 * agent's answer, dialing the target is then a single request that Asterisk runs at once.
 * Any leg ending, a timer, a cancel or a failed request ends the call from any live stage.
 *
 * Once connected, the call may gain parties (call/parties.ts has the table of rules); its stage
 * stays `connected` and the detail lives in the legs. Ending (call/call-ending.ts) always hangs up
 * every live leg and destroys every bridge, because Asterisk does neither.
 */
import { callIds } from './call-ids';
import type { CallEffect, CallEvent, CallPlan, CallState, Transition } from './call-state';
import { DIAL_HOLD_MS } from './call-timing';
import { unchanged } from './leg-state';
import { isPartyEvent, onPartyEvent } from './parties';
import { isRecordingEvent, onRecordingEvent } from './recording';
import { decideTwoParty } from './two-party';
import { decideReturnCall, isReturnCallEvent, returnCallState } from './return-call';

export { CHANNEL_GONE_GRACE_MS, DIAL_HOLD_MS, TIMER_GRACE_MS } from './call-timing';

export type * from './call-state';

export { leg, findLeg } from './leg-state';

export function initialCallState(plan: CallPlan, requestedAt: number): CallState {
  const ids = callIds(plan.callId);
  const first = { status: 'idle', inStasis: false, bridge: null, requestedAt } as const;
  return returnCallState({
    plan,
    ids,
    stage: 'requested',
    legs: [
      { ...first, id: 'agent', role: 'agent', channelId: ids.agentChannelId, endpoint: plan.agentEndpoint, label: plan.agentLabel, agentId: plan.agentId },
      { ...first, id: 'target', role: 'customer', channelId: ids.targetChannelId, endpoint: plan.targetEndpoint, label: plan.customerLabel ?? plan.targetEndpoint },
    ],
    bridges: [],
    owner: { agentId: plan.agentId, legId: 'agent' },
    nextLeg: 3,
    operation: { kind: 'none' },
    ringbackPlaying: false,
    targetDialed: false,
    times: { requestedAt },
  });
}

export function transition(state: CallState, event: CallEvent): Transition {
  if (state.stage === 'ended') return unchanged(state);
  const decided = isReturnCallEvent(state) ? decideReturnCall(state, event) : isRecordingEvent(event) ? onRecordingEvent(state, event)
    : isPartyEvent(state, event) ? onPartyEvent(state, event) : decideTwoParty(state, event);
  const releases = state.held !== undefined && releasesHold(event);
  if (decided.state === state && !releases) return decided;
  const effects = decided.state.stage === state.stage
    ? decided.effects
    : [...decided.effects, { type: 'PublishUpdate', stage: decided.state.stage, at: event.at } as const];
  const holdTimerFired = event.type === 'TimerExpired' && event.timer === 'dial_hold';
  return holdAfterDial(state, { state: decided.state, effects }, releases, holdTimerFired);
}

/**
 * The target's dial goes out alone: once a transition asks for it, every later effect but timers
 * is held in the state, until the hold's timer fires, the target's channel reports anything, or
 * the call ends. Then the held effects go first, in the order they were asked for; an ending drops
 * those that would join a channel or play to it. Added legs are
 * dialed while the call is connected, where nothing competes with their INVITE: they are not held.
 */
function holdAfterDial(before: CallState, decided: Transition, releases: boolean, holdTimerFired: boolean): Transition {
  const ending = decided.state.stage === 'ended';
  if (before.held === undefined && !decided.effects.some(isTargetDial)) return decided;
  let held: CallEffect[] | undefined;
  const effects: CallEffect[] = [];
  if (before.held !== undefined && !releases && !ending) {
    held = [...before.held];
  } else if (before.held !== undefined) {
    if (!holdTimerFired) effects.push({ type: 'CancelTimer', timer: 'dial_hold' });
    // An ending call joins nobody and plays nothing: those requests would only race its hangups.
    effects.push(...(ending ? before.held.filter((effect) => !BUILDS_THE_CALL.has(effect.type)) : before.held));
  }
  for (const effect of decided.effects) {
    if (held !== undefined && effect.type !== 'StartTimer' && effect.type !== 'CancelTimer') {
      held.push(effect);
      continue;
    }
    effects.push(effect);
    if (isTargetDial(effect) && !ending) {
      held = [];
      effects.push({ type: 'StartTimer', timer: 'dial_hold', ms: DIAL_HOLD_MS });
    }
  }
  const { held: _previous, ...rest } = decided.state;
  return { state: held === undefined ? rest : { ...rest, held }, effects };
}

/** Held requests that only serve a call going on. */
const BUILDS_THE_CALL: ReadonlySet<CallEffect['type']> = new Set(['AddToBridge', 'MoveToBridge', 'StartRingback', 'StartHoldMusic']);

function isTargetDial(effect: CallEffect): boolean {
  return effect.type === 'DialLeg' && effect.leg === 'target';
}

/** Anything from the target's channel means Asterisk has done the dial's work; so does the hold's own timer. */
function releasesHold(event: CallEvent): boolean {
  if (event.type === 'TimerExpired') return event.timer === 'dial_hold';
  return 'leg' in event && event.leg === 'target' && event.type !== 'RequestFailed';
}

/** Talk time in whole seconds, once a call has connected and ended. */
export function talkSeconds(state: CallState): number | null {
  const { connectedAt, endedAt } = state.times;
  return connectedAt !== undefined && endedAt !== undefined ? Math.round((endedAt - connectedAt) / 1000) : null;
}
