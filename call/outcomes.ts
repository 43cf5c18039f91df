import type { CallOutcome, LegName } from './call-types';

/** How far a leg got before it ended: the cause alone does not say what happened (see below). */
export type LegReach = 'dialing' | 'ringing' | 'answered';

/**
 * Q.850 causes as Asterisk reports them on ChannelDestroyed. They are not reliable on their own:
 * on 18.9 a leg ringing past its originate timeout ends with cause 0, a dialed leg ringing past its
 * timeout (or cancelled while ringing) with 16 (normal clearing); 20 and 22 say 19 (no answer) for
 * both (spec/fixtures/asterisk-<version>/). So "no answer" is decided by the reach, and causes only
 * refine the other cases.
 */
const BUSY = new Set([17]);
const REJECTED = new Set([21]);
const INVALID_NUMBER = new Set([1, 22, 28]);
const NO_ANSWER = new Set([18, 19]);

/** The outcome of a leg that ended before it was answered. */
export function unansweredLegOutcome(leg: LegName, reach: Exclude<LegReach, 'answered'>, cause: number | null): CallOutcome {
  const c = cause ?? -1;
  if (leg === 'agent') {
    if (BUSY.has(c) || REJECTED.has(c)) return 'agent_busy';
    if (reach === 'ringing' || NO_ANSWER.has(c)) return 'agent_no_answer';
    return 'agent_unreachable';
  }
  if (BUSY.has(c)) return 'target_busy';
  if (REJECTED.has(c)) return 'target_rejected';
  if (INVALID_NUMBER.has(c)) return 'target_invalid_number';
  if (reach === 'ringing' || NO_ANSWER.has(c)) return 'target_no_answer';
  return 'target_unreachable';
}
