import type { CallOutcome, LegName } from './call-types';

/** How far a leg got before it ended: the cause alone does not say what happened (see below). */
export type LegReach = 'dialing' | 'ringing' | 'answered';

/**
 * Q.850 causes as Asterisk 18.9 reports them on ChannelDestroyed. They are not reliable on their
 * own: a leg ringing past its originate timeout ends with cause 0, a dialed leg ringing past its
 * timeout with 16 (normal clearing). So "no answer" is decided by the reach, and causes only refine
 * the other cases.
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

export const OUTCOME_TEXT: Record<CallOutcome, string> = {
  completed: 'Call ended',
  agent_busy: 'Your phone was busy',
  agent_no_answer: 'You did not answer your phone',
  agent_unreachable: 'Your phone could not be reached',
  agent_not_confirmed: 'Not confirmed: the answer was not confirmed with the key press in time',
  agent_hung_up: 'You hung up before they answered',
  target_busy: 'Busy',
  target_no_answer: 'No answer',
  target_rejected: 'Call rejected',
  target_invalid_number: 'Invalid number',
  target_unreachable: 'Number unreachable',
  cancelled: 'Cancelled',
  failed: 'Call failed',
  interrupted: 'Interrupted: the service restarted during the call',
  refused: 'Refused',
};

/** A short human sentence for the bot, e.g. "Call ended — 2:13 — they hung up". */
export function describeOutcome(outcome: CallOutcome, opts: { endedBy?: LegName | 'app' | null; talkSeconds?: number | null; detail?: string | null } = {}): string {
  if (outcome === 'completed') {
    const parts = [OUTCOME_TEXT.completed];
    if (opts.talkSeconds != null) parts.push(formatDuration(opts.talkSeconds));
    if (opts.endedBy === 'target') parts.push('they hung up');
    else if (opts.endedBy === 'agent') parts.push('you hung up');
    else if (opts.endedBy === 'app') parts.push('hung up from Telegram');
    return parts.join(' — ');
  }
  if ((outcome === 'failed' || outcome === 'refused') && opts.detail) return `${OUTCOME_TEXT[outcome]}: ${opts.detail}`;
  return OUTCOME_TEXT[outcome];
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
