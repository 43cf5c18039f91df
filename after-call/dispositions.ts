/**
 * The decisions of after-call work, as plain functions of the call's facts: who may give a call its
 * disposition or note, which codes its final status offers, what a code does beside being recorded,
 * and whether a note can be kept. No I/O: after-call-work.ts reads and writes around them.
 */
import type { CallOutcome, CallStage } from '../call/call-types';
import type { DispositionCode } from '../config/after-call-settings';

/** The code that offers to schedule a call back, whatever its label. */
export const CALLBACK_CODE = 'callback';
/** The code that puts the number on the do-not-call list, whatever its label. */
export const DO_NOT_CALL_CODE = 'dnc';

/** What choosing a code does beside recording it on the call. */
export type DispositionEffect = 'none' | 'callback' | 'do_not_call';

export function effectOf(code: string): DispositionEffect {
  if (code === CALLBACK_CODE) return 'callback';
  if (code === DO_NOT_CALL_CODE) return 'do_not_call';
  return 'none';
}

/** What the checks read of a call's row. */
export interface WorkedCall {
  id: string;
  /** Who placed it. */
  agentId: number;
  /** Who was on it at the end (who took it by transfer), or null when no agent was. */
  onCallAgentId: number | null;
  stage: CallStage;
  outcome: CallOutcome | null;
  target: string | null;
}

/** Why an agent may not give this call a disposition or a note: unknown (or a refused request), not theirs, or still live. */
export type AfterCallRefusal = 'unknown_call' | 'not_your_call' | 'not_ended';

/**
 * Only the agent who placed the call or the one who had it at its end works on it after, and only
 * once it has ended; a refused request was never a call.
 */
export function afterCallRefusal(call: WorkedCall | null, agentId: number | null): AfterCallRefusal | undefined {
  if (!call || !call.target || call.outcome === 'refused') return 'unknown_call';
  if (agentId === null || (agentId !== call.agentId && agentId !== call.onCallAgentId)) return 'not_your_call';
  if (call.stage !== 'ended') return 'not_ended';
  return undefined;
}

/**
 * The codes under a call's final status. "Asked not to be called" only once someone was talked to,
 * as the do-not-call button always did: nobody asked anything on a call nobody answered.
 */
export function codesFor(codes: readonly DispositionCode[], outcome: CallOutcome | null | undefined): DispositionCode[] {
  return codes.filter((c) => effectOf(c.code) !== 'do_not_call' || outcome === 'completed');
}

export function codeNamed(codes: readonly DispositionCode[], code: string): DispositionCode | undefined {
  return codes.find((c) => c.code === code);
}

/** A note as it can be kept, or why not. Counted in characters as a person counts them (code points), not UTF-16 units. */
export type NoteCheck =
  | { ok: true; note: string; chars: number }
  | { ok: false; problem: 'empty' }
  | { ok: false; problem: 'too_long'; chars: number; max: number };

/** Control characters (a NUL, which PostgreSQL's text refuses, among them); tab and line breaks stay. */
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
/** A half of a surrogate pair with no other half: not a character, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A longer note is refused whole, not cut: a cut note can say something its agent never wrote. */
export function checkNote(text: string, max: number): NoteCheck {
  const note = text.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROLS, '').trim();
  if (note === '') return { ok: false, problem: 'empty' };
  const chars = [...note].length;
  if (chars > max) return { ok: false, problem: 'too_long', chars, max };
  return { ok: true, note, chars };
}
