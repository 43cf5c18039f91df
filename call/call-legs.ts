/**
 * The call's legs and bridges seen generically, whatever the machine's state looks like inside:
 * code that must walk every leg (the read-back of Asterisk's view) goes through here and never
 * names a leg, so it reads a call of any number of legs alike.
 */
import type { CallEvent, CallState, LegStatus } from './call-machine';
import { bridgeIdOf } from './leg-state';

/** The machine's own leg id, so events built from a CallLeg need no cast. */
export type CallLegId = Extract<CallEvent, { type: 'LegEnded' }>['leg'];

export interface CallLeg {
  legId: CallLegId;
  channelId: string;
  status: LegStatus;
  inStasis: boolean;
}

/** Every leg of the call, in the order the call asked for them. */
export function callLegs(state: CallState): readonly CallLeg[] {
  return state.legs.map((leg) => ({ legId: leg.id, channelId: leg.channelId, status: leg.status, inStasis: leg.inStasis }));
}

/** The bridges the call has asked Asterisk for and not destroyed (the main one from the call's start, a consultation's while it lasts). */
export function callBridges(state: CallState): readonly string[] {
  return state.bridges.map((bridge) => bridgeIdOf(state, bridge));
}

export function callEnded(state: CallState): boolean {
  return state.stage === 'ended';
}
