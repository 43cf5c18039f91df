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

/**
 * What a network's announcement most likely said, read from the cause the customer's leg ended
 * with after early media: null when the cause says nothing (16, normal clearing, is what many
 * networks send after any announcement). Codes only; telegram/texts.ts words them.
 */
export type AnnouncedReason = 'not_in_service' | 'number_changed' | 'busy' | 'no_answer' | 'unavailable' | 'rejected' | 'network_trouble';

const ANNOUNCED: ReadonlyMap<number, AnnouncedReason> = new Map([
  [1, 'not_in_service'], [28, 'not_in_service'], [22, 'number_changed'], [17, 'busy'], [18, 'no_answer'], [19, 'no_answer'],
  [20, 'unavailable'], [27, 'unavailable'], [21, 'rejected'],
  [3, 'network_trouble'], [34, 'network_trouble'], [38, 'network_trouble'], [41, 'network_trouble'], [42, 'network_trouble'],
]);

export function announcedReason(cause: number | null | undefined): AnnouncedReason | null {
  return cause === null || cause === undefined ? null : ANNOUNCED.get(cause) ?? null;
}
