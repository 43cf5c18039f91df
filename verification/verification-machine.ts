/**
 * A caller-ID verification call as a pure state machine, like the call machine: events carry their
 * time, effects say what should happen, and verification/verification-runner.ts does it.
 *
 *   requested ─Originate→ dialing ─ringing→ ringing ─answered→ collecting ─code keyed→ ended (verified)
 * While collecting, digits are gathered until there are as many as the code has, then compared: a
 * wrong entry uses one of the code's attempts and starts a new entry while any are left. Hanging
 * up, no answer, the entry timing out, the code expiring or a failed request end it unverified.
 * It is not a customer call: nothing of what is keyed leaves the machine but whether it matched.
 */
import type { RouteCode } from '../call/call-types';

export interface VerificationPlan {
  verificationId: string;
  number: string;
  route: RouteCode;
  channelId: string;
  endpoint: string;
  /** What the verification call presents; the number being verified is not vouched for yet. */
  callerId: string | null;
  ringTimeoutS: number;
  /** How long the person who answered has to key the code in, for each attempt. */
  entryTimeoutS: number;
  codeLength: number;
  /**
   * Whether keyed digits are the code. The adapter passes it in (verification/verification-code.ts keeps
   * only a keyed digest and compares in constant time), so the machine holds no secret and no crypto.
   */
  isCode: (entered: string) => boolean;
  /** Wrong entries this code still allows, this call included. */
  attemptsLeft: number;
  /** When the code stops being valid, in the clock of the events. */
  expiresAt: number;
}

export type VerificationStage = 'requested' | 'dialing' | 'ringing' | 'collecting' | 'ended';

/** How a verification call ended. */
export type VerificationResult =
  | 'verified'
  /** Every attempt the code allowed was keyed wrong. */
  | 'wrong_code'
  /** Answered, but the code was not keyed in time. */
  | 'no_code'
  /** Answered, and hung up before the code was keyed right. */
  | 'hung_up'
  /** Busy, not answered, or unreachable. */
  | 'unanswered'
  | 'expired'
  | 'cancelled'
  | 'failed';

export interface VerificationState {
  plan: VerificationPlan;
  stage: VerificationStage;
  /** The digits of the entry in progress; cleared after each comparison. */
  entered: string;
  wrongEntries: number;
  result?: VerificationResult;
  hangupCause?: number | null;
  detail?: string;
}

export type VerificationTimer = 'ring' | 'entry' | 'expiry';

export type VerificationEvent =
  | { type: 'Started'; at: number }
  | { type: 'Ringing'; at: number }
  | { type: 'Answered'; at: number }
  | { type: 'Ended'; cause: number | null; at: number }
  | { type: 'Dtmf'; digit: string; at: number }
  | { type: 'TimerExpired'; timer: VerificationTimer; at: number }
  | { type: 'Cancel'; at: number }
  | { type: 'RequestFailed'; request: string; error: string; at: number };

/** What the verification's owner hears once: the result, and how many entries were wrong. */
export interface VerificationReport {
  verificationId: string;
  number: string;
  route: RouteCode;
  result: VerificationResult;
  wrongEntries: number;
  hangupCause: number | null;
  detail?: string;
}

export type VerificationEffect =
  | { type: 'Originate'; channelId: string; endpoint: string; callerId: string | null; timeoutS: number; appArgs: string }
  | { type: 'Hangup'; channelId: string }
  | { type: 'StartTimer'; timer: VerificationTimer; ms: number }
  | { type: 'CancelTimer'; timer: VerificationTimer }
  | { type: 'Report'; report: VerificationReport };

export interface VerificationTransition {
  state: VerificationState;
  effects: VerificationEffect[];
}

/** Our ring timer backs up Asterisk's originate timeout, a little after it. */
export const RING_GRACE_MS = 5000;

const TIMERS: readonly VerificationTimer[] = ['ring', 'entry', 'expiry'];

export function initialVerificationState(plan: VerificationPlan): VerificationState {
  return { plan, stage: 'requested', entered: '', wrongEntries: 0 };
}

export function verificationTransition(state: VerificationState, event: VerificationEvent): VerificationTransition {
  if (state.stage === 'ended') return unchanged(state);
  // A code past its time is no code at all, whatever else happened at that moment.
  if (event.at >= state.plan.expiresAt && event.type !== 'Ended') return end(state, 'expired');
  switch (event.type) {
    case 'Started': return onStarted(state, event.at);
    case 'Ringing':
      return state.stage === 'dialing' ? { state: { ...state, stage: 'ringing' }, effects: [] } : unchanged(state);
    case 'Answered': return onAnswered(state);
    case 'Dtmf': return onDigit(state, event.digit);
    case 'Ended': return onEnded(state, event.cause);
    case 'TimerExpired': return onTimer(state, event.timer);
    case 'Cancel': return end(state, 'cancelled');
    case 'RequestFailed': return end(state, 'failed', { detail: `${event.request}: ${event.error}` });
  }
}

function onStarted(state: VerificationState, at: number): VerificationTransition {
  if (state.stage !== 'requested') return unchanged(state);
  const { plan } = state;
  return {
    state: { ...state, stage: 'dialing' },
    effects: [
      {
        type: 'Originate', channelId: plan.channelId, endpoint: plan.endpoint, callerId: plan.callerId,
        timeoutS: plan.ringTimeoutS, appArgs: `verify,${plan.verificationId}`,
      },
      { type: 'StartTimer', timer: 'ring', ms: plan.ringTimeoutS * 1000 + RING_GRACE_MS },
      { type: 'StartTimer', timer: 'expiry', ms: plan.expiresAt - at },
    ],
  };
}

/** The far end answered (its state went Up, or it entered Stasis, whichever Asterisk said first). */
function onAnswered(state: VerificationState): VerificationTransition {
  if (state.stage !== 'dialing' && state.stage !== 'ringing') return unchanged(state);
  return {
    state: { ...state, stage: 'collecting' },
    effects: [{ type: 'CancelTimer', timer: 'ring' }, { type: 'StartTimer', timer: 'entry', ms: state.plan.entryTimeoutS * 1000 }],
  };
}

function onDigit(state: VerificationState, digit: string): VerificationTransition {
  if (state.stage !== 'collecting' || !/^[0-9]$/.test(digit)) return unchanged(state);
  const entered = state.entered + digit;
  if (entered.length < state.plan.codeLength) return { state: { ...state, entered }, effects: [] };
  if (state.plan.isCode(entered)) return end({ ...state, entered: '' }, 'verified');
  const wrongEntries = state.wrongEntries + 1;
  const wrong: VerificationState = { ...state, entered: '', wrongEntries };
  if (wrongEntries >= state.plan.attemptsLeft) return end(wrong, 'wrong_code');
  return { state: wrong, effects: [{ type: 'StartTimer', timer: 'entry', ms: state.plan.entryTimeoutS * 1000 }] };
}

function onEnded(state: VerificationState, cause: number | null): VerificationTransition {
  const result: VerificationResult = state.stage === 'collecting' ? 'hung_up' : 'unanswered';
  return end(state, result, { hangupCause: cause, channelGone: true });
}

function onTimer(state: VerificationState, timer: VerificationTimer): VerificationTransition {
  switch (timer) {
    case 'ring':
      return state.stage === 'dialing' || state.stage === 'ringing' ? end(state, 'unanswered', { detail: 'no answer within the ring timeout' }) : unchanged(state);
    case 'entry':
      return state.stage === 'collecting' ? end(state, 'no_code') : unchanged(state);
    case 'expiry':
      return end(state, 'expired');
  }
}

/** Ends the verification from any live stage: the channel is hung up unless it is gone already. */
function end(
  state: VerificationState, result: VerificationResult,
  extra: { hangupCause?: number | null; detail?: string; channelGone?: boolean } = {},
): VerificationTransition {
  const { plan } = state;
  const effects: VerificationEffect[] = [];
  if (state.stage !== 'requested' && !extra.channelGone) effects.push({ type: 'Hangup', channelId: plan.channelId });
  if (state.stage !== 'requested') for (const timer of TIMERS) effects.push({ type: 'CancelTimer', timer });
  const next: VerificationState = {
    ...state, stage: 'ended', entered: '', result, hangupCause: extra.hangupCause ?? null,
    ...(extra.detail ? { detail: extra.detail } : {}),
  };
  effects.push({
    type: 'Report',
    report: {
      verificationId: plan.verificationId, number: plan.number, route: plan.route, result, wrongEntries: next.wrongEntries,
      hangupCause: next.hangupCause ?? null, ...(extra.detail ? { detail: extra.detail } : {}),
    },
  });
  return { state: next, effects };
}

function unchanged(state: VerificationState): VerificationTransition {
  return { state, effects: [] };
}
