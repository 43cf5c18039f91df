/**
 * The call's legs and bridges seen generically, whatever the machine's state looks like inside:
 * code that must walk every leg (the read-back of Asterisk's view) goes through here and never
 * names a leg, so it reads a call of any number of legs alike.
 */
import { channelOfLeg } from './call-ids';
import type { CallEvent, CallState, LegStatus } from './call-machine';

/** The machine's own leg id, so events built from a CallLeg need no cast. */
export type CallLegId = Extract<CallEvent, { type: 'LegEnded' }>['leg'];

export interface CallLeg {
  legId: CallLegId;
  channelId: string;
  status: LegStatus;
  inStasis: boolean;
}

const LEG_IDS = ['agent', 'target'] as const;

/** Every leg of the call, in the order the call asked for them. */
export function callLegs(state: CallState): readonly CallLeg[] {
  return LEG_IDS.map((legId) => ({
    legId, channelId: channelOfLeg(state.ids, legId), status: state[legId].status, inStasis: state[legId].inStasis,
  }));
}

/** The bridges the call has asked Asterisk for (its one bridge is asked for when the call starts). */
export function callBridges(state: CallState): readonly string[] {
  return state.stage === 'requested' ? [] : [state.ids.bridgeId];
}

export function callEnded(state: CallState): boolean {
  return state.stage === 'ended';
}
