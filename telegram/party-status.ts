/**
 * What a call's status message says about its parties, read from the update alone: who is on the
 * line, on hold or ringing, whether the call was handed to someone else, and which buttons its
 * owner gets. The words are in texts.ts.
 */
import type { PartyView } from '../call/call-types';
import type { CallUpdate } from '../call/call-update';

/** The buttons under a live call's status, beside Hang up. */
export type PartyControls =
  /** A connected call with nobody else coming: ↪️ Transfer, ➕ Add. */
  | 'transfer_or_add'
  /** A colleague consulted while the customer waits: ✅ Complete, ↩️ Back, 👥 Conference. */
  | 'consulting'
  /** A colleague being called for a consultation: only ↩️ Back. */
  | 'consult_ringing'
  /** A party is being dialed or the call is not connected: nothing to add. */
  | 'none';

const LIVE: ReadonlySet<PartyView['status']> = new Set(['created', 'dialing', 'ringing', 'up', 'held']);

/** The agent a call answers to now: the one who placed it until a transfer passes it on. */
export function ownerOf(update: CallUpdate): number {
  return update.ownerAgentId ?? update.context.agentId;
}

/** Whether a party is this agent's own leg: by its agent id, or the first agent leg of the agent who placed the call. */
export function isViewer(party: PartyView, update: CallUpdate, viewerAgentId: number): boolean {
  if (party.agentId !== undefined) return party.agentId === viewerAgentId;
  return party.role === 'agent' && party.legId === 'agent' && update.context.agentId === viewerAgentId;
}

/** A call of more than its agent and customer, or with anyone on hold: only then are its parties spelled out. */
export function hasMoreThanTwoParties(update: CallUpdate): boolean {
  return (update.parties ?? []).some((p) => (p.role !== 'customer' && !(p.role === 'agent' && p.legId === 'agent')) || p.status === 'held');
}

/**
 * The party a call passed to, seen from this agent's message: the new owner (another agent took the
 * call), or whoever stays on the line once this agent's own leg left a live call (a cold transfer
 * to a number). Undefined while the call is still this agent's to talk on.
 */
export function transferredTo(update: CallUpdate, viewerAgentId: number): { label: string; handedOff: boolean } | undefined {
  const parties = update.parties ?? [];
  const owner = ownerOf(update);
  if (owner !== viewerAgentId) {
    const taker = parties.find((p) => p.agentId === owner) ?? newestOnLine(parties, update, viewerAgentId);
    return { label: taker?.label ?? '', handedOff: true };
  }
  if (update.final) return undefined;
  const own = parties.find((p) => isViewer(p, update, viewerAgentId));
  if (!own || own.status !== 'ended') return undefined;
  const taker = newestOnLine(parties, update, viewerAgentId);
  return taker ? { label: taker.label, handedOff: false } : undefined;
}

function newestOnLine(parties: readonly PartyView[], update: CallUpdate, viewerAgentId: number): PartyView | undefined {
  return [...parties].reverse().find((p) => p.role !== 'customer' && p.status === 'up' && !isViewer(p, update, viewerAgentId));
}

/** The colleague or number a consultation is with (being called, or on the line), while it lasts. */
export function consultedOf(update: CallUpdate): PartyView | undefined {
  return (update.parties ?? []).find((p) => p.role === 'consulted' && LIVE.has(p.status));
}

/** The buttons the owner gets under a live call, from its stage and its parties. */
export function controlsOf(update: CallUpdate): PartyControls {
  if (update.final || update.stage !== 'connected') return 'none';
  const parties = update.parties ?? [];
  const consulted = consultedOf(update);
  if (consulted) return consulted.status === 'up' ? 'consulting' : 'consult_ringing';
  // A party being dialed (a cold transfer or an add under way) is waited for.
  if (parties.some((p) => p.status === 'created' || p.status === 'dialing' || p.status === 'ringing')) return 'none';
  return 'transfer_or_add';
}

/** The recording button the owner gets under a connected, recorded call: ⏸ while it records, ▶️ while paused. */
export function recordingControlOf(update: CallUpdate): 'pause' | 'resume' | undefined {
  if (update.final || update.stage !== 'connected') return undefined;
  if (update.recording?.status === 'recording') return 'pause';
  if (update.recording?.status === 'paused') return 'resume';
  return undefined;
}
