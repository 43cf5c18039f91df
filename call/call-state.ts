/**
 * The call machine's vocabulary: its plan, its state (legs, bridges, owner, the operation under way,
 * times), its events and effects. Apart from call-machine.ts, so that the parts of the machine
 * (two-party.ts, parties.ts, call-ending.ts, leg-state.ts) depend on these and not on each other.
 */
import type { CallIds } from './call-ids';
import type {
  CallFailure, CallOutcome, CallStage, ConsultEnd, LegId, LegName, LegRecordPatch, LegRole, PartyPlan, PartyStep, RecordingPolicy, RecordingStatus,
  RouteCode, TransferMode,
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
  /** The route's recording policy, read at dial time; none is `off`. */
  recording?: RecordingPlan;
  /** Set for a customer's call coming in (call/return-call.ts): who to ring, in order, while the customer hears ringing. */
  returnCall?: ReturnCallPlan;
}

/** An agent a return call may ring: their phone over the route, and why they are asked (call/return-call-routing.ts). */
export interface ReturnCallAgent {
  agentId: number;
  label: string;
  endpoint: string;
  reason: 'last_caller' | 'caller' | 'idle';
}

/**
 * A customer's inbound call: their channel (Asterisk named it, it is the `target` leg), who to
 * ring in turn, and what the customer hears when nobody answers (Asterisk media, `sound:…`).
 */
export interface ReturnCallPlan {
  customerChannelId: string;
  customerNumber: string;
  /** The pool number they dialled. */
  calledNumber: string;
  agents: readonly ReturnCallAgent[];
  missedMessage: string;
  /** How long the missed-call message may take before the call ends anyway. */
  missedMessageTimeoutS: number;
  /** What the agent hears on answering, before the customer is joined (RETURN_CALL_ANNOUNCE); none is `off`. */
  agentAnnouncement?: ReturnCallAnnouncement;
}

/** `tone`: a beep; `digits`: the customer's number read out with Asterisk's sounds. */
export type ReturnCallAnnouncement = 'off' | 'tone' | 'digits';

/** Where a return call is: which agent is being rung, and how each earlier try ended. */
export interface ReturnCallProgress {
  /** Index into the plan's agents of the one being rung (or last rung). */
  attempt: number;
  tries: readonly { agentId: number; outcome: CallOutcome }[];
  /**
   * `ringing`: an agent's phone is being rung; `announcing`: the agent answered and hears who calls
   * before the customer is joined; `dropping`: that agent's leg is being hung up before the next;
   * `missed`: the customer hears the missed-call message.
   */
  phase: 'ringing' | 'announcing' | 'dropping' | 'missed';
}

/** `announcement`: the media Asterisk plays the customer first when the policy is `consent` (e.g. `sound:http://…`). */
export interface RecordingPlan {
  policy: RecordingPolicy;
  announcement?: string;
}

/** The main bridge's recording, from the moment it was asked for (call/recording.ts). */
export interface RecordingState {
  name: string;
  status: RecordingStatus;
  startedAt?: number;
  stoppedAt?: number;
  /** Paused time before the current pause; `pausedAt` while paused. */
  pausedMs: number;
  pausedAt?: number;
  failure?: string;
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
  /** A party's network played early media (its Dial PROGRESS) while it rang: what the status message tells if its dial then fails. */
  earlyMediaAt?: number;
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
  /** The customer answered and hears the consent announcement; the agent still hears ringback. */
  announcing?: boolean;
  recording?: RecordingState;
  /** When the customer's network first sent audio of its own before the answer (call/early-media.ts). */
  earlyMediaAt?: number;
  /** Set on a return call until it is connected (call/return-call.ts). */
  returnCall?: ReturnCallProgress;
}

export type TimerName =
  | 'agent_ring' | 'target_ring' | 'confirm' | 'dial_hold' | 'agent_gone' | 'target_gone' | 'request_gone'
  /** Stands in for the consent announcement's PlaybackFinished, should it never come. */
  | 'announcement'
  /** An added leg's ring timeout, and its grace after a request found its channel gone. */
  | `party_ring:${LegId}` | `party_gone:${LegId}`;
export type CancelSource = 'agent' | 'admin' | 'system';

export type CallEvent =
  | { type: 'CallStarted'; at: number }
  /** `earlyMedia`: the far end's progress came with SDP (ARI Dial PROGRESS): its network's own audio flows (call/early-media.ts). */
  | { type: 'LegRinging'; leg: LegId; at: number; earlyMedia?: true }
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
  | { type: 'ConsultFinished'; how: ConsultEnd; by: string; at: number }
  /** A playback of the call's ended (ARI PlaybackFinished); `failed`: Asterisk could not play it (no such sound). */
  | { type: 'PlaybackFinished'; playbackId: string; failed: boolean; at: number }
  /** Asterisk ended the call's recording on its own (ARI RecordingFinished, or RecordingFailed with its cause). */
  | { type: 'RecordingEnded'; name: string; failure?: string; at: number }
  /** Asterisk refused a recording request (or the announcement's play); `channelGone`: the customer's channel was gone. */
  | { type: 'RecordingRequestFailed'; request: RecordingRequest; error: string; channelGone?: boolean; at: number }
  /** The agent on the call pauses (`pause`) or resumes the recording; `by`: their Telegram id. */
  | { type: 'RecordingPauseRequested'; pause: boolean; by: string; at: number };

export type RecordingRequest = 'record' | 'pause' | 'unpause' | 'announce';

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
  /** The recording a resumed call carries on (call/recording.ts recordingPatch); null once there is none to resume. */
  recordingName?: string | null;
  recordingStartedAt?: Date | null;
  recordingPausedMs?: number | null;
  recordingPausedAt?: Date | null;
}

export type CallEffect =
  | { type: 'OriginateLeg'; leg: LegId; channelId: string; endpoint: string; callerId: string | null; timeoutS: number; appArgs: string }
  /** `callerId`: set on the channel as it is made (CALLERID(num)), for a leg with no caller channel to copy it from. */
  | { type: 'CreateLeg'; leg: LegId; channelId: string; endpoint: string; appArgs: string; callerId?: string | null }
  /** Dials a created leg; with a caller channel, Asterisk gives it the caller's Caller ID (the INVITE's From). */
  | { type: 'DialLeg'; leg: LegId; channelId: string; timeoutS: number; callerChannelId?: string }
  | { type: 'CreateBridge'; bridgeId: string }
  /** `afterRecording`: sent once the bridge's recording has started (or failed to), see call/recording.ts's join. */
  | { type: 'AddToBridge'; bridgeId: string; channelId: string; afterRecording?: true }
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
  /** The consent announcement, played to the customer's channel alone. */
  | { type: 'PlayAnnouncement'; channelId: string; playbackId: string; media: string }
  /** Records the bridge as a WAV named `name` (stored in Asterisk once stopped). */
  | { type: 'StartRecording'; bridgeId: string; name: string }
  | { type: 'PauseRecording'; name: string }
  | { type: 'UnpauseRecording'; name: string }
  | { type: 'StopRecording'; name: string }
  /** The call reached `stage` (or its parties changed) at `at`: its observers (the status message, metrics) hear of it. */
  | { type: 'PublishUpdate'; stage: CallStage; at: number }
  /** Tells an inbound channel's caller it rings (180), without answering it. */
  | { type: 'RingLeg'; channelId: string }
  /** Answers an inbound channel (200 OK). */
  | { type: 'AnswerLeg'; channelId: string };

export interface Transition {
  state: CallState;
  effects: CallEffect[];
}
