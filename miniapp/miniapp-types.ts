/**
 * What the Mini App's server and its page say to each other (JSON over /app/api and its event
 * stream). Types only: the page's bundle imports them too, so nothing here may import runtime code.
 */
import type { CallStage, RouteCode } from '../call/call-types';

export type MiniAppRole = 'agent' | 'supervisor' | 'admin';

export interface SessionAnswer {
  token: string;
  expiresAtMs: number;
  me: Viewer;
  /** The country a number typed without +country code is read in (DEFAULT_REGION), for the dialer's formatting. */
  region: string;
}

export interface Viewer {
  telegramId: string;
  name: string;
  role: MiniAppRole;
  /** An active agent (an admin may be one too): the dialer is theirs. */
  agent?: { route: RouteCode | null; callerId: string | null; phone: string | null };
  /** Supervisors and admins see the wallboard. */
  watches: boolean;
}

/** Why a sign-in was refused: initData's own reasons (401), or a user the bot does not let in (403). */
export interface SignInRefused {
  error: 'initdata_refused' | 'not_allowed';
  reason: string;
  message: string;
}

/** A call as the dialer's status card shows it. */
export interface CallCard {
  callId: string;
  stage: CallStage;
  /** The stage (or the outcome, once ended) in words. */
  status: string;
  customer: string;
  route: RouteCode;
  callerId: string | null;
  final: boolean;
  talkSeconds?: number | null;
  /**
   * The buttons beside Hang up, for the viewer, as the status message's (telegram/party-status.ts):
   * Transfer on a connected call of theirs; Complete, Back and Conference while they consult a
   * colleague; only Back while the colleague's phone rings; nothing otherwise (in cluster mode, read
   * from the call's row and its legs' rows). Absent when the server does not know the call's
   * parties: the page then offers Transfer on a connected call.
   */
  controls?: CardControls;
  /** Who the consultation is with (a colleague's name or a number), while controls say so. */
  consulted?: string;
  /** The call passed from the viewer to someone else (a transfer completed) and goes on without them: nothing to hang up. */
  transferred?: true;
}

export type CardControls = 'transfer' | 'consulting' | 'consult_ringing' | 'none';

export interface RecentCall {
  callId: string;
  /** E.164, for redial; null for a request refused before its number was read. */
  number: string | null;
  customer: string;
  route: RouteCode | null;
  at: string;
  result: string;
  talk: string | null;
}

export interface PendingCallback {
  id: number;
  number: string;
  customer: string;
  route: RouteCode | null;
  dueAt: string;
  state: string;
}

export type AgentState = 'idle' | 'ringing' | 'in_call' | 'after_call' | 'suspended';

/** The actions a supervisor may take on a live call; only those the service has are listed. */
export type SupervisorAction = 'listen' | 'whisper' | 'barge';

export interface Wallboard {
  at: number;
  liveCalls: { callId: string; agent: string; customer: string; route: RouteCode; stage: CallStage; status: string }[];
  agents: { id: number; name: string; state: AgentState }[];
  today: { calls: number; answered: number; answerRatePct: number; talk: string };
  actions: SupervisorAction[];
}

/** Events of the stream (/app/api/events): the viewer's own call, or the wallboard afresh. */
export type StreamEvent = { type: 'call'; call: CallCard } | { type: 'wallboard'; wallboard: Wallboard };
