/**
 * What the bot asks of a connected call with more than two parties in view: transfer it, consult a
 * colleague, bring a party in. Every request is checked as a `/call` is (a number passes every
 * rule; an agent must be active, on the call's route, with no live call) before the call's machine
 * hears of it. The answer says at once whether the request was taken, not how it ends: the call's
 * updates tell that.
 */
import type { ConsultEnd, LegId, PartyTarget, TransferMode } from '../call/call-types';
import type { CallRefusal, RefusalFacts } from './call-intake';

/** Who asks: the agent who answers for the call (its owner) or an admin. */
export interface PartyRequester {
  agentId: number | null;
  isAdmin: boolean;
  /** Their Telegram id: the audit log's actor for the step (an admin may be no agent). */
  telegramId: string;
}

/** Why a request about a call's parties was not taken, beside the refusals a `/call` can get. */
export type PartyRefusal =
  | 'no_such_call'
  | 'not_owner'
  /** The call is not in a state that allows it (not connected; a transfer or consultation already going on; no consultation to finish). */
  | 'not_now'
  /** Cluster mode: the instance that runs the call did not take the request in time (a take-over under way, or it is stopping). */
  | 'not_reached'
  | 'agent_unavailable'
  | 'agent_busy'
  | 'same_party';

export type PartyAnswer =
  | { ok: true; legId: LegId; label: string }
  | ({ ok: false; refusal: PartyRefusal | CallRefusal } & RefusalFacts);

/** An agent a call can be passed to: active, on the call's route, with a phone and no live call. */
export interface TransferCandidate {
  agentId: number;
  label: string;
}

export interface CallParties {
  transfer(callId: string, by: PartyRequester, to: PartyTarget, mode: TransferMode): Promise<PartyAnswer>;
  addParty(callId: string, by: PartyRequester, to: PartyTarget): Promise<PartyAnswer>;
  finishConsult(callId: string, by: PartyRequester, how: ConsultEnd): Promise<{ ok: true } | { ok: false; refusal: PartyRefusal }>;
  transferCandidates(callId: string, by: PartyRequester): Promise<TransferCandidate[]>;
}
