/**
 * Ending a call, from any live stage and whatever its parties: every leg still live is hung up,
 * every bridge asked for destroyed, every timer cancelled, and the record gets the outcome and
 * each leg's last word.
 */
import type { CallEffect, CallRecordPatch, CallState, TimerName, Transition } from './call-state';
import type { CallFailure, CallOutcome, LegName, LegRecordPatch } from './call-types';
import { bridgeIdOf, isLive } from './leg-state';
import { stopRecordingAtEnd } from './recording';

/** The timers an ending cancels (the dial hold is ended by holdAfterDial; added legs' own are named by leg). */
const CALL_TIMERS = ['agent_ring', 'target_ring', 'confirm', 'agent_gone', 'target_gone', 'request_gone', 'announcement'] as const;

export interface Ending {
  outcome: CallOutcome;
  endedBy: LegName | 'app';
  hangupCause?: number | null;
  hangupCauseText?: string | null;
  detail?: string;
  failure?: CallFailure;
}

export function endCall(state: CallState, at: number, ending: Ending): Transition {
  // The recording stops first: the bridge it records is destroyed below.
  const recording = stopRecordingAtEnd(state, at);
  const effects: CallEffect[] = [...recording.effects];
  for (const l of state.legs) {
    if (isLive(l)) effects.push({ type: 'HangupLeg', channelId: l.channelId });
  }
  for (const bridge of state.bridges) effects.push({ type: 'DestroyBridge', bridgeId: bridgeIdOf(state, bridge) });
  const timers: TimerName[] = [...CALL_TIMERS];
  for (const l of state.legs.slice(2)) timers.push(`party_ring:${l.id}`, `party_gone:${l.id}`);
  for (const timer of timers) effects.push({ type: 'CancelTimer', timer });
  const next: CallState = {
    ...state,
    stage: 'ended',
    legs: state.legs.map((l) => (isLive(l) ? { ...l, status: 'ended', inStasis: false, bridge: null, endedAt: at } : l)),
    bridges: [],
    operation: { kind: 'none' },
    ringbackPlaying: false,
    outcome: ending.outcome,
    endedBy: ending.endedBy,
    hangupCause: ending.hangupCause ?? null,
    hangupCauseText: ending.hangupCauseText ?? null,
    detail: ending.detail,
    ...(ending.failure ? { failure: ending.failure } : {}),
    times: { ...state.times, endedAt: at },
    ...(recording.recording ? { recording: recording.recording } : {}),
  };
  const { partyRingback: _ringback, announcing: _announcing, ...withoutRingback } = next;
  effects.push({
    type: 'PersistCall',
    patch: {
      stage: 'ended', outcome: ending.outcome, endedBy: ending.endedBy,
      hangupCause: next.hangupCause, hangupCauseText: next.hangupCauseText,
      ...(ending.detail ? { detail: ending.detail } : {}),
      endedAt: new Date(at),
    },
  });
  effects.push(...finalLegRecords(state, next));
  return { state: withoutRingback, effects };
}

/**
 * Each leg's record as the call ends. The first two legs are written here only (and when the call
 * first gains a party), so the two-party call's requests and writes stay as they were; an added
 * leg was written as it was asked for and answered, and gets its end here if it was still live.
 */
function finalLegRecords(before: CallState, after: CallState): CallEffect[] {
  const effects: CallEffect[] = [];
  after.legs.forEach((l, i) => {
    if (l.status === 'idle') return;
    if (i < 2) effects.push({ type: 'PersistLeg', legId: l.id, patch: legRecord(l) });
    else if (isLive(before.legs[i]!) && l.endedAt !== undefined) effects.push({ type: 'PersistLeg', legId: l.id, patch: { endedAt: new Date(l.endedAt) } });
  });
  return effects;
}

/** A leg's whole record: who, in what role, and when it was asked for, answered and ended. */
export function legRecord(l: CallState['legs'][number]): LegRecordPatch {
  return {
    role: l.role,
    label: l.label,
    agentId: l.agentId ?? null,
    number: l.role === 'customer' ? l.label : l.party?.target.kind === 'number' ? l.party.target.number : null,
    ...(l.requestedAt !== undefined ? { requestedAt: new Date(l.requestedAt) } : {}),
    ...(l.answeredAt !== undefined ? { answeredAt: new Date(l.answeredAt) } : {}),
    ...(l.endedAt !== undefined ? { endedAt: new Date(l.endedAt) } : {}),
    ...(l.hangupCause !== undefined ? { hangupCause: l.hangupCause } : {}),
  };
}

export function persisting(state: CallState, patch: CallRecordPatch): Transition {
  return { state, effects: [{ type: 'PersistCall', patch }] };
}
