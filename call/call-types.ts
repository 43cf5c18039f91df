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
