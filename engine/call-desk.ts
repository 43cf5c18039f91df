import { type Observable, merge } from 'rxjs';
import type { CancelSource } from '../call/call-machine';
import type { CallStage, PartyView } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import type { CancelAnswer, CallEngine, CallRequest, PlaceCallResult, RefusedRequest, StopReason } from './call-engine';

/** A live call as the bot lists it. */
export interface LiveCallSummary {
  readonly context: CallContext;
  readonly stage: CallStage;
  /** Who is on it, when the call runs in this process (the engine knows); absent when read from the database. */
  readonly parties?: readonly PartyView[];
  /** The agent who answers for it now, given with `parties`. */
  readonly ownerAgentId?: number;
}

/** A call recorded or changed (its stage, the agent on it, or one of its legs), wherever it runs: which call, and the agents it concerns. */
export interface CallChange {
  readonly callId: string;
  readonly agentIds: readonly number[];
}

/**
 * What the bot asks of calls. On a single instance every call is in this process (engineDesk); in
 * cluster mode a call may run on another instance, so the answers come from the database and a
 * cancel travels to the call's owner (cluster/cluster-desk.ts).
 */
export interface CallDesk {
  placeCall(request: CallRequest): Promise<PlaceCallResult>;
  /**
   * Ends the agent's requests this process has not placed yet (revoked or suspended), at once;
   * resolves once each is refused or placed, so a call placed just before can be found and ended.
   */
  stopRequestsOf(agentTelegramId: string, why: StopReason): Promise<void>;
  /** The agent's own call, or any call for an admin; the desk records which of them ended it. */
  cancelCallAs(callId: string, who: { agentId: number | null; isAdmin: boolean }): Promise<CancelAnswer>;
  cancelCall(callId: string, by: CancelSource): Promise<boolean>;
  liveCallOfAgent(agentId: number): Promise<LiveCallSummary | undefined>;
  liveCalls(): Promise<LiveCallSummary[]>;
  /** Records the call's status message on its row. */
  attachStatusMessage(callId: string, telegramChatId: string, statusMessageId: number): void;
  /**
   * Pauses (`pause`) or resumes the recording of a call this process runs, for `by` (a Telegram id);
   * false when it does not run here or its recording cannot be toggled that way now.
   */
  toggleRecording(callId: string, pause: boolean, by: string): Promise<boolean>;
  /** Every update of the calls this process runs. */
  readonly updates: Observable<CallUpdate>;
  /** Every request this process refused. */
  readonly refusals: Observable<RefusedRequest>;
  /**
   * Cluster mode: every change of every instance's calls, as their rows announce it (the row says
   * what changed). Absent on a single instance, whose `updates` carry every call.
   */
  readonly changes?: Observable<CallChange>;
}

/** A single instance's desk: the engine itself, every answer at once. */
export function engineDesk(engine: CallEngine): CallDesk {
  return {
    placeCall: (request) => engine.placeCall(request),
    stopRequestsOf: (agentTelegramId, why) => engine.stopRequestsOf(agentTelegramId, why),
    cancelCallAs: (callId, who) => Promise.resolve(engine.cancelCallAs(callId, who)),
    cancelCall: (callId, by) => Promise.resolve(engine.cancelCall(callId, by)),
    liveCallOfAgent: (agentId) => Promise.resolve(engine.liveCallOfAgent(agentId)),
    liveCalls: () => Promise.resolve(engine.liveCalls()),
    attachStatusMessage: (callId, chatId, messageId) => engine.attachStatusMessage(callId, chatId, messageId),
    toggleRecording: (callId, pause, by) => Promise.resolve(engine.toggleRecording(callId, pause, by)),
    get updates() { return engine.updates; },
    get refusals() { return engine.refusals; },
  };
}

/** The desk with more refusals told beside its own (a number refused when brought into a call counts for the abuse alerts as a /call's does). */
export function withRefusals(desk: CallDesk, more: Observable<RefusedRequest>): CallDesk {
  const refusals = merge(desk.refusals, more);
  return {
    placeCall: (request) => desk.placeCall(request),
    stopRequestsOf: (agentTelegramId, why) => desk.stopRequestsOf(agentTelegramId, why),
    cancelCallAs: (callId, who) => desk.cancelCallAs(callId, who),
    cancelCall: (callId, by) => desk.cancelCall(callId, by),
    liveCallOfAgent: (agentId) => desk.liveCallOfAgent(agentId),
    liveCalls: () => desk.liveCalls(),
    attachStatusMessage: (callId, chatId, messageId) => desk.attachStatusMessage(callId, chatId, messageId),
    toggleRecording: (callId, pause, by) => desk.toggleRecording(callId, pause, by),
    get updates() { return desk.updates; },
    refusals,
    ...(desk.changes ? { changes: desk.changes } : {}),
  };
}
