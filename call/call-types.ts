/**
 * The vocabulary of a call, shared by the engine, the store and the bot.
 * Kept free of imports so every layer can depend on it.
 */

export type LegName = 'agent' | 'target';

/** Where a call is. Every stage but `ended` is live. */
export type CallStage =
  | 'requested'
  | 'agent_dialing'
  | 'agent_ringing'
  | 'agent_answered'
  | 'target_dialing'
  | 'target_ringing'
  | 'connected'
  | 'ended';

export const LIVE_STAGES: readonly CallStage[] = [
  'requested', 'agent_dialing', 'agent_ringing', 'agent_answered', 'target_dialing', 'target_ringing', 'connected',
];

export type CallOutcome =
  | 'completed'
  | 'agent_busy'
  | 'agent_no_answer'
  | 'agent_unreachable'
  | 'agent_not_confirmed'
  | 'agent_hung_up'
  | 'target_busy'
  | 'target_no_answer'
  | 'target_rejected'
  | 'target_invalid_number'
  | 'target_unreachable'
  | 'cancelled'
  | 'failed'
  | 'interrupted'
  | 'refused';

export type RouteCode = 'M' | 'D';

/** Why a call ended `failed`: a request Asterisk refused (with its answer), or a leg lost before it could be used. */
export type CallFailure =
  | { kind: 'request'; request: string; error: string }
  | { kind: 'target_lost_before_dial' }
  | { kind: 'target_never_ready' };

/*
 * Calls of more than two parties. A call is a set of legs around bridges; each leg has a role. The
 * first two legs keep the ids `agent` and `target` (their channel ids are `<callId>-agent` and
 * `<callId>-target`, as stored calls and Asterisk already know them); legs added later are `p3`,
 * `p4`, … in the order the call asked for them.
 */
export type LegId = string;

/** What a leg is in the call: the agent who placed or took it, the customer, a colleague consulted, a party brought in. */
export type LegRole = 'agent' | 'customer' | 'consulted' | 'conferenced';

/** Who an agent asked to bring into a call: another agent (by id) or a number, as typed. */
export type PartyTarget = { kind: 'agent'; agentId: number } | { kind: 'number'; number: string };

/**
 * A party the engine has checked and may dial: for an agent, their phone over their route; for a
 * number, the E.164 number over the call's route with the call's caller ID. `label` is what users read.
 */
export interface PartyPlan {
  target: PartyTarget;
  label: string;
  endpoint: string;
  callerId: string | null;
  ringTimeoutS: number;
}

/** Cold: the agent leaves once the new party answers. Warm: the customer waits on hold while the agent consults. */
export type TransferMode = 'cold' | 'warm';

/** How a consultation ends: the customer joins the consulted party, returns to the agent, or all three talk. */
export type ConsultEnd = 'complete' | 'back' | 'conference';

/** One party as observers (the status message, /history) see it. */
export interface PartyView {
  legId: LegId;
  role: LegRole;
  label: string;
  /** For an agent's leg (the one who placed the call, or a colleague brought in): which agent, so a status message can tell "you" and name who took a transfer. */
  agentId?: number;
  /** `held`: on hold (music) while the agent consults. */
  status: 'created' | 'dialing' | 'ringing' | 'up' | 'held' | 'ended';
  answeredAt?: number;
  endedAt?: number;
  /** Ended unanswered after its network played early media (ringback or an announcement), with the cause it ended with. */
  failedAfterEarlyMedia?: { hangupCause: number | null };
}

/** A step of a multi-party call, for the audit log and the call's record. */
export type PartyStep =
  | { kind: 'transfer_started'; mode: TransferMode; legId: LegId; label: string }
  | { kind: 'transfer_completed'; legId: LegId; label: string }
  | { kind: 'transfer_failed'; legId: LegId; label: string }
  | { kind: 'consult_ended'; how: ConsultEnd; legId: LegId }
  | { kind: 'party_added'; legId: LegId; label: string }
  | { kind: 'party_left'; legId: LegId; label: string }
  | { kind: 'owner_changed'; agentId: number; legId: LegId };

/** A leg's row in the call's record (the call_legs table): who, in what role, and when. */
export interface LegRecordPatch {
  role?: LegRole;
  label?: string;
  agentId?: number | null;
  number?: string | null;
  requestedAt?: Date;
  answeredAt?: Date;
  endedAt?: Date;
  hangupCause?: number | null;
}

/** Per route: no recording, recording, or recording after every party heard the consent announcement. */
export type RecordingPolicy = 'off' | 'on' | 'consent';

export const RECORDING_POLICIES: readonly RecordingPolicy[] = ['off', 'on', 'consent'];

/** Where the call's bridge recording is: what the status message shows (`⏺ Recording`, `⏸ Paused`). */
export type RecordingStatus = 'recording' | 'paused' | 'stopped' | 'failed';

/** What a call update says of its recording, from the moment the bridge recording was asked for. */
export interface RecordingView {
  /** The name of the live, then stored, recording in Asterisk (`GET /recordings/stored/{name}/file`). */
  name: string;
  status: RecordingStatus;
  /** Epoch ms when the recording started (the parties were joined), and when it stopped. */
  startedAt?: number;
  stoppedAt?: number;
  /** Total time spent paused, so a listener knows the gaps. */
  pausedMs: number;
  /** In words, when `failed`: what Asterisk answered. */
  failure?: string;
}
