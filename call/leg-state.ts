/** Reading and changing one leg of a call's state: the helpers every part of the machine shares. */
import type { BridgeName, CallState, LegState, Transition } from './call-state';
import type { LegId, LegName } from './call-types';

/** The leg with this id; a call always has `agent` and `target`, so for those it never fails. */
export function leg(state: CallState, id: LegId): LegState {
  const found = findLeg(state, id);
  if (!found) throw new Error(`the call ${state.plan.callId} has no leg ${id}; ask findLeg() for legs that may not exist`);
  return found;
}

export function findLeg(state: CallState, id: LegId): LegState | undefined {
  return state.legs.find((l) => l.id === id);
}

export function withLeg(state: CallState, id: LegId, patch: Partial<LegState>): CallState {
  return { ...state, legs: state.legs.map((l) => (l.id === id ? { ...l, ...patch } : l)) };
}

/** A leg that has been asked for and has not ended. */
export function isLive(l: LegState): boolean {
  return l.status !== 'idle' && l.status !== 'ended';
}

/** A party in the conversation: answered and not gone (on hold counts). */
export function isPresent(l: LegState): boolean {
  return l.status === 'up' || l.status === 'held';
}

export function isFirstLeg(id: LegId): id is LegName {
  return id === 'agent' || id === 'target';
}

export function bridgeIdOf(state: CallState, bridge: BridgeName): string {
  return bridge === 'main' ? state.ids.bridgeId : state.ids.consultBridgeId;
}

export function customerOf(state: CallState): LegState {
  return leg(state, 'target');
}

/** How the Call row's `endedBy` names a leg: the customer is `target`, everyone on the call's side `agent`. */
export function endedByOf(l: LegState): LegName {
  return l.role === 'customer' ? 'target' : 'agent';
}

export function unchanged(state: CallState): Transition {
  return { state, effects: [] };
}
