/**
 * What the call engine needs from storage, declared here so the engine depends on these and not on
 * TypeORM: store/ implements them on SQLite and PostgreSQL, and a spec can use plain objects.
 */
import type { CallStage, RecordingPolicy, RouteCode } from '../call/call-types';
import type { LegId, LegRecordPatch, PartyStep } from '../call/call-types';
import type { CallRecorder, CallRowPatch } from './call-row-writer';

export interface AgentRecord {
  id: number;
  telegramId: string;
  phone: string | null;
  callerId: string | null;
  route: RouteCode | null;
  /** The name users know them by (another agent of a transferred call reads it); empty or absent: their phone is shown. */
  displayName?: string | null;
}

export interface AgentDirectory {
  /** The agent with this Telegram id, only while authorized. */
  activeAgentByTelegramId(telegramId: string): Promise<AgentRecord | null>;
}

/** The first record of a call request: written before anything is dialed, refused requests included. */
export interface CallRequestRecord extends CallRowPatch {
  id: string;
  stage: CallStage;
  agentId: number;
  targetInput: string;
  requestedAt: Date;
  agentPhone?: string | null;
  target?: string | null;
  callerId?: string | null;
  route?: RouteCode | null;
  agentEndpoint?: string | null;
  targetEndpoint?: string | null;
  telegramChatId?: string | null;
  /** `inbound`: a customer calling a pool number back (engine/return-call-intake.ts); the default is `outbound`. */
  direction?: 'outbound' | 'inbound';
  /** A return call: the earlier call it answers. */
  returnsCallId?: string | null;
  /** A return call: the customer's inbound channel (Asterisk's id), for a take-over or a restart to find it. */
  customerChannelId?: string | null;
}

/** The call's recording while it runs (call/recording.ts recordingPatch), as its row keeps it; absent where a reader does not select it. */
export interface RecordingColumns {
  recordingName?: string | null;
  recordingStartedAt?: Date | null;
  recordingPausedMs?: number | null;
  recordingPausedAt?: Date | null;
}

/** A call row a previous process left live: what resuming it needs (engine/resume-calls.ts), and where its status was shown. */
export interface LeftLiveCall extends RecordingColumns {
  id: string;
  stage: CallStage;
  telegramChatId: string | null;
  statusMessageId: number | null;
  agentId: number;
  /** The agent's row, for their Telegram id; absent when it was not read. */
  agent?: { telegramId: string } | undefined;
  agentPhone: string | null;
  target: string | null;
  route: RouteCode | null;
  callerId: string | null;
  agentEndpoint: string | null;
  targetEndpoint: string | null;
  requestedAt: Date;
  agentRingingAt: Date | null;
  agentAnsweredAt: Date | null;
  targetRingingAt: Date | null;
  connectedAt: Date | null;
  /** `inbound`: a customer's return call (engine/return-call-intake.ts); absent reads as outbound. */
  direction?: 'outbound' | 'inbound';
  /** A return call's earlier call, the one it answers. */
  returnsCallId?: string | null;
  /** The agent on the call now, when the row says (a return call taken by a fallback agent names them). */
  onCallAgentId?: number | null;
  /** A return call's customer channel, named by Asterisk (engine/return-call-intake.ts records it). */
  customerChannelId?: string | null;
  /** A return call's earlier call as its row records it (who placed it, when, what they wrote down); absent when not read. */
  returnsCall?: EarlierCallOfRow | null;
}

/** The earlier call a return call answers, as a restart reads it: enough to tell its agent of a missed call back. */
export interface EarlierCallOfRow {
  agentId: number;
  requestedAt: Date;
  disposition: string | null;
  note: string | null;
}

export { AgentHasLiveCall } from '../call/agent-has-live-call';

export interface CallRecords extends CallRecorder {
  /** Rejects with AgentHasLiveCall when the row is live and the agent already has a live one. */
  recordCallRequest(call: CallRequestRecord): Promise<unknown>;
  liveCalls(): Promise<LeftLiveCall[]>;
  /**
   * The live call the agent is on now (placed or taken by transfer), or else their latest placed call
   * (refused requests are not calls), or null; a call they left by a transfer reads as ended for them.
   */
  latestPlacedCallOfAgent(agentId: number): Promise<{ requestedAt: Date; endedAt: Date | null } | null>;
  /**
   * Runs a call's decision and record while no other process on the same database runs one
   * (PostgreSQL: under an advisory lock); just runs it where one process is all there is, or where
   * the record itself counts under the lock (cluster mode).
   */
  placingAlone<T>(step: () => Promise<T>): Promise<T>;
}

export interface AuditTrail {
  record(entry: { actor: string; action: string; subject?: string | null; details?: string }): Promise<void>;
}

/** The record of a call's legs and of its multi-party steps (the call_legs table and the audit log). */
export interface PartyRecords {
  recordLeg(callId: string, legId: LegId, patch: LegRecordPatch): Promise<void>;
  /** `actor`: the Telegram id of who asked for the step, or `system`. */
  recordStep(callId: string, step: PartyStep, at: Date, actor: string): Promise<void>;
}

/** Read at dial time: the policy of the call's route (super admins set it in Telegram, the default from configuration). */
export interface RecordingPolicies {
  policyFor(route: RouteCode): Promise<RecordingPolicy>;
}

/**
 * The media URI Asterisk plays to the customer before the parties are joined when the route's policy is `consent`
 * (e.g. `sound:http://callbot-host:port/media/announcement-M.wav`, served by callbot so it works when Asterisk runs
 * on another host); null when no announcement was recorded yet (then the documented default sound).
 */
export interface ConsentAnnouncements {
  announcementFor(route: RouteCode): Promise<string | null>;
}
