/**
 * The compliance rules a call request must pass before anything is dialed: each says, in codes and
 * facts, why it refuses; the engine records the refusal and the app words it. No rule can be turned
 * off for one agent: the engine runs every rule it was given for every request.
 */
import type { CallOutcome, RouteCode } from '../../call/call-types';

/** What a rule judges: who calls which checked (E.164) number over which route, and when. */
export interface CallAttempt {
  agentId: number;
  agentTelegramId: string;
  target: string;
  route: RouteCode;
  /**
   * The agent's own caller ID; null when the call presents DEFAULT_CALLER_ID (or none). Optional so
   * rules that do not read it can be judged without it; the engine always sets it.
   */
  callerId?: string | null;
  at: number;
}

/** Why a rule refused: one member per rule, with the facts its reason needs. */
export type RuleRefusal =
  | { rule: 'do_not_call'; since: Date }
  /** Outside the hours in one of the number's zones; `hours` is that local day's window or `closed`. */
  | { rule: 'calling_hours'; zones: string[]; localTimes: string[]; weekday: string; hours: string; opensInMinutes?: number }
  /** No zone the runtime can read is known for the number, so its local time cannot be judged. */
  | { rule: 'calling_hours_unknown_zone'; zones: string[] }
  | { rule: 'number_cap'; period: 'day' | '7_days'; limit: number; placed: number }
  | { rule: 'agent_cap'; period: 'hour' | 'day'; limit: number; placed: number }
  | { rule: 'route_busy'; route: RouteCode; limit: number; live: number }
  | { rule: 'route_rate'; route: RouteCode; perSecond: number; waitMs: number; maxWaitMs: number }
  /** The agent's caller ID is not a verified pool number of the route; `verifiedOn`: the routes it is verified for. */
  | { rule: 'caller_id_not_verified'; callerId: string; route: RouteCode; verifiedOn: RouteCode[] }
  /** REQUIRE_DISPOSITION: the agent's last call (to `target`, ended at `endedAt` with `outcome`) has no outcome chosen yet. */
  | { rule: 'disposition_required'; callId: string; target: string; endedAt: Date | null; outcome: CallOutcome | null };

/** A rule that holds a request back for a moment says so, so the agent knows why nothing happens yet. */
export interface RuleWait {
  rule: 'route_rate';
  route: RouteCode;
  waitMs: number;
}

/** What the engine tells a rule beyond the attempt itself. */
export interface RuleContext {
  /** Calls live on a route now, requests already past every check included. */
  liveCallsOnRoute(route: RouteCode): number;
}

/** What a rule that holds a request back is told: how to report the wait, and when to give it up. */
export interface HoldContext {
  /** Every rule's check, run before a request takes its turn: nothing that would be refused anyway waits or takes one. */
  checkedBeforeHolding(): Promise<RuleRefusal | undefined>;
  /** Reports that the request waits before it goes on. */
  waiting(wait: RuleWait): void;
  /** Aborted when the agent is revoked or suspended: the wait ends at once. */
  signal: AbortSignal;
}

export interface CallRule {
  /**
   * Undefined when the attempt may go ahead. No waiting here: the engine runs every check again,
   * one request at a time, at the moment it records the call.
   */
  check(attempt: CallAttempt, context: RuleContext): Promise<RuleRefusal | undefined>;
  /**
   * Holds the request back until its turn (a route's set-up slot), before the checks that decide
   * it; undefined once it may go on, or aborted. A refusal when the wait would be too long.
   */
  holdBack?(attempt: CallAttempt, context: HoldContext): Promise<RuleRefusal | undefined>;
}

/** The refusal as the audit log and the Call row keep it: the rule and its facts, no wording. */
export function ruleRecord(refusal: RuleRefusal): string {
  const facts = Object.entries(refusal)
    .filter(([key]) => key !== 'rule')
    .map(([key, value]) => `${key}=${value instanceof Date ? value.toISOString() : String(value)}`);
  return facts.length ? `${refusal.rule} (${facts.join(' ')})` : refusal.rule;
}
