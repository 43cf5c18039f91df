/**
 * The compliance rules a call request must pass before anything is dialed: each says, in codes and
 * facts, why it refuses; the engine records the refusal and the app words it. No rule can be turned
 * off for one agent: the engine runs every rule it was given for every request.
 */
import type { RouteCode } from '../call/call-types';

/** What a rule judges: who calls which checked (E.164) number over which route, and when. */
export interface CallAttempt {
  agentId: number;
  agentTelegramId: string;
  target: string;
  route: RouteCode;
  at: number;
}

/** Why a rule refused: one member per rule, with the facts its reason needs. */
export type RuleRefusal =
  | { rule: 'do_not_call'; since: Date };

export interface CallRule {
  /** Undefined when the attempt may go ahead. */
  check(attempt: CallAttempt): Promise<RuleRefusal | undefined>;
}

/** The refusal as the audit log and the Call row keep it: the rule and its facts, no wording. */
export function ruleRecord(refusal: RuleRefusal): string {
  const facts = Object.entries(refusal)
    .filter(([key]) => key !== 'rule')
    .map(([key, value]) => `${key}=${value instanceof Date ? value.toISOString() : String(value)}`);
  return facts.length ? `${refusal.rule} (${facts.join(' ')})` : refusal.rule;
}
