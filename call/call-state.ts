/**
 * The call machine's vocabulary: its plan, its state (legs, bridges, owner, the operation under way,
 * times), its events and effects. Apart from call-machine.ts, so that the parts of the machine
 * (two-party.ts, parties.ts, call-ending.ts, leg-state.ts) depend on these and not on each other.
 */
import type { CallIds } from './call-ids';
import type {
  CallFailure, CallOutcome, CallStage, ConsultEnd, LegId, LegName, LegRecordPatch, LegRole, PartyPlan, PartyStep, RouteCode, TransferMode,
} from './call-types';

export interface CallPlan {
  callId: string;
  route: RouteCode;
  /** The agent who places the call: its first owner. */
  agentId: number;
  /** How users read the agent's leg (a name or phone). */
  agentLabel: string;
  /** How users read the customer's leg (the number); the customer's endpoint when not set. */
  customerLabel?: string;
  agentEndpoint: string;
  targetEndpoint: string;
  callerId: string | null;
  agentRingTimeoutS: number;
  targetRingTimeoutS: number;
  /** When set, the agent must press this digit after answering before the target is dialed. */
  confirmDigit?: string;
  confirmTimeoutS: number;
}

/**
 * `created`: the leg's channel exists in Asterisk (or is being made) but has not been dialed;
 * `held`: up, on hold with music while the agent consults.
 */
export type LegStatus = 'idle' | 'created' | 'dialing' | 'ringing' | 'up' | 'held' | 'ended';

export type BridgeName = 'main' | 'consult';

export interface LegState {
  id: LegId;
  role: LegRole;
  channelId: string;
  endpoint: string;
  status: LegStatus;
  /** The channel is in Stasis and was asked into its bridge. */
  inStasis: boolean;
  bridge: BridgeName | null;
  label: string;
  /** The agent on this leg, for an agent's leg. */
  agentId?: number;
  /** Who a transfer, consultation or conference asked for (legs added to a connected call). */
  party?: PartyPlan;
  requestedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  hangupCause?: number | null;
}

/** The multi-party operation under way, if any: at most one at a time, about one added leg. */
export type PartyOperation =
  | { kind: 'none' }
  | { kind: 'cold_transfer'; legId: LegId; by: string }
  | { kind: 'consult'; legId: LegId; by: string }
  | { kind: 'adding'; legId: LegId; by: string };

/** The agent who answers for the call, and their leg (null once that leg left by a completed transfer to a number). */
export interface CallOwner {
  agentId: number;
  legId: LegId | null;
}

export interface CallTimes {
  requestedAt: number;
  agentRingingAt?: number;
  agentAnsweredAt?: number;
  targetRingingAt?: number;
  connectedAt?: number;
  endedAt?: number;
}

export interface CallState {
  plan: CallPlan;
  ids: CallIds;
  stage: CallStage;
  /** In the order they were asked for; the first two are `agent` and `target`. */
  legs: readonly LegState[];
  /** The bridges asked for and not destroyed. */
  bridges: readonly BridgeName[];
  owner: CallOwner;
  /** The number of the next added leg (`p3` first). */
  nextLeg: number;
  operation: PartyOperation;
  /** The target's ringback, played to the agent until the target answers. */
  ringbackPlaying: boolean;
  /** A ringback played while an added leg rings: to the customer (cold transfer) or the agent. */
  partyRingback?: { channelId: string; playbackId: string };
  /** The target should ring: dialed, or to be dialed as soon as its channel is in the bridge. */
  targetDialed: boolean;
  times: CallTimes;
  outcome?: CallOutcome;
  endedBy?: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  /** The Call row's diagnostic: what happened, for the record. */
  detail?: string;
  failure?: CallFailure;
  /** Set while the target's dial goes out alone: the effects held back, in order (see holdAfterDial). */
  held?: readonly CallEffect[];
  /** A request that found its channel gone and named no leg, waiting out CHANNEL_GONE_GRACE_MS. */
  goneRequest?: { request: string; error: string };
}

export type TimerName =
  | 'agent_ring' | 'target_ring' | 'confirm' | 'dial_hold' | 'agent_gone' | 'target_gone' | 'request_gone'
  /** An added leg's ring timeout, and its grace after a request found its channel gone. */
  | `party_ring:${LegId}` | `party_gone:${LegId}`;
export type CancelSource = 'agent' | 'admin' | 'system';

export type CallEvent =
  | { type: 'CallStarted'; at: number }
  | { type: 'LegRinging'; leg: LegId; at: number }
  | { type: 'LegAnswered'; leg: LegId; at: number }
  | { type: 'LegEnteredStasis'; leg: LegId; at: number }
  | { type: 'LegEnded'; leg: LegId; cause: number | null; causeText?: string | null; at: number }
  /**
   * A taken-over call's leg was found gone: it ended while no instance followed the call, and
   * nothing says how (a ringing agent who answered then was hung up by Asterisk, which refuses a
   * channel entering an app nobody is connected to).
   */
  | { type: 'LegGoneUnseen'; leg: LegId; at: number }
  | { type: 'DtmfReceived'; leg: LegId; digit: string; at: number }
  | { type: 'TimerExpired'; timer: TimerName; at: number }
  | { type: 'CancelRequested'; by: CancelSource; at: number }
  /**
   * `channelGone`: Asterisk said the channel is no longer there (the far end usually hung up a
   * moment before); `leg`: the leg the request was about, when it was about one.
   */
  | { type: 'RequestFailed'; request: string; error: string; at: number; channelGone?: boolean; leg?: LegId }
  /** `by`: the Telegram id of who asked, for the record. */
  | { type: 'TransferRequested'; mode: TransferMode; party: PartyPlan; by: string; at: number }
  | { type: 'AddPartyRequested'; party: PartyPlan; by: string; at: number }
  | { type: 'ConsultFinished'; how: ConsultEnd; by: string; at: number };

/** The Call row fields a transition changes; the runner hands them to the store as they are. */
export interface CallRecordPatch {
  stage?: CallStage;
  outcome?: CallOutcome;
  endedBy?: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  detail?: string;
  agentRingingAt?: Date;
  agentAnsweredAt?: Date;
  targetRingingAt?: Date;
  connectedAt?: Date;
  endedAt?: Date;
  /** The agent on the call now (who the one-live-call rule holds); null once no agent is on the line. Set only when a transfer changes it. */
  onCallAgentId?: number | null;
}

export type CallEffect =
  | { type: 'OriginateLeg'; leg: LegId; channelId: string; endpoint: string; callerId: string | null; timeoutS: number; appArgs: string }
  /** `callerId`: set on the channel as it is made (CALLERID(num)), for a leg with no caller channel to copy it from. */
  | { type: 'CreateLeg'; leg: LegId; channelId: string; endpoint: string; appArgs: string; callerId?: string | null }
  /** Dials a created leg; with a caller channel, Asterisk gives it the caller's Caller ID (the INVITE's From). */
  | { type: 'DialLeg'; leg: LegId; channelId: string; timeoutS: number; callerChannelId?: string }
  | { type: 'CreateBridge'; bridgeId: string }
  | { type: 'AddToBridge'; bridgeId: string; channelId: string }
  /** Moves a channel that is in one of the call's bridges into the other. */
  | { type: 'MoveToBridge'; channelId: string; from: string; to: string }
  | { type: 'StartRingback'; channelId: string; playbackId: string }
  | { type: 'StopRingback'; playbackId: string }
  /** Music on hold for everyone in the bridge (the configured class). */
  | { type: 'StartHoldMusic'; bridgeId: string }
  | { type: 'StopHoldMusic'; bridgeId: string }
  | { type: 'HangupLeg'; channelId: string }
  | { type: 'DestroyBridge'; bridgeId: string }
  | { type: 'StartTimer'; timer: TimerName; ms: number }
  | { type: 'CancelTimer'; timer: TimerName }
  | { type: 'PersistCall'; patch: CallRecordPatch }
  /** A leg's row in the call's record (the call_legs table). */
  | { type: 'PersistLeg'; legId: LegId; patch: LegRecordPatch }
  /** A multi-party step, for the call's record and the audit log; `by`: a Telegram id or `system`. */
  | { type: 'RecordStep'; step: PartyStep; by: string; at: number }
  /** The call reached `stage` (or its parties changed) at `at`: its observers (the status message, metrics) hear of it. */
  | { type: 'PublishUpdate'; stage: CallStage; at: number };

export interface Transition {
  state: CallState;
  effects: CallEffect[];
}
