/**
 * What a connected call allows now, and who is on it: the predicates the desk asks before it hands
 * a request to the machine (to answer "not now" at once), and that the machine itself obeys.
 */
import type { CallOwner, CallState, LegState } from './call-state';
import type { ConsultEnd, PartyView } from './call-types';
import { findLeg } from './leg-state';

export function ownerOf(state: CallState): CallOwner {
  return state.owner;
}

/** The owner's leg while it is on the call. */
export function ownerLegOf(state: CallState): LegState | undefined {
  const id = state.owner.legId;
  const l = id === null ? undefined : findLeg(state, id);
  return l && l.status !== 'ended' && l.status !== 'idle' ? l : undefined;
}

/** Connected, nothing else under way, the owner and the customer both talking. */
function free(state: CallState): boolean {
  return state.stage === 'connected' && state.operation.kind === 'none'
    && ownerLegOf(state)?.status === 'up' && findLeg(state, 'target')?.status === 'up';
}

export function canTransfer(state: CallState): boolean {
  return free(state);
}

export function canAddParty(state: CallState): boolean {
  return free(state);
}

/** A consultation can always be given up (`back`); completing it or joining all three needs the consulted party up. */
export function canFinishConsult(state: CallState, how?: ConsultEnd): boolean {
  if (state.stage !== 'connected' || state.operation.kind !== 'consult') return false;
  if (how === undefined || how === 'back') return true;
  return findLeg(state, state.operation.legId)?.status === 'up';
}

/** Every leg but idle ones, in the order they were asked for, as observers see them. */
export function partiesOf(state: CallState): PartyView[] {
  return state.legs.flatMap((l): PartyView[] => (l.status === 'idle' ? [] : [{
    legId: l.id,
    role: l.role,
    label: l.label,
    status: l.status,
    ...(l.agentId !== undefined ? { agentId: l.agentId } : {}),
    ...(l.answeredAt !== undefined ? { answeredAt: l.answeredAt } : {}),
    ...(l.endedAt !== undefined ? { endedAt: l.endedAt } : {}),
    ...(l.status === 'ended' && l.answeredAt === undefined && l.earlyMediaAt !== undefined ? { failedAfterEarlyMedia: { hangupCause: l.hangupCause ?? null } } : {}),
  }]));
}
