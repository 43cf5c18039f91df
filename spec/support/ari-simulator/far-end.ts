/**
 * Scripted far ends: what the PSTN provider behind the trunk does with each INVITE. The default
 * mirrors the lab provider (sipp-provider-uas.xml) by the dialled number's last four digits, with
 * two additions of ours (0503, 0151).
 */
import { CAUSE } from './causes';

/** Digits keyed one after another once answered, each its own RFC 4733 event: `gapMs` apart, the first `afterMs` after the answer. */
export interface KeyedDigits {
  digits: string;
  afterMs: number;
  gapMs: number;
}

export type FarEndScript =
  | { kind: 'answer'; ringMs?: number; hangupAfterMs?: number; dtmf?: { digit: string; afterMs: number }; keys?: KeyedDigits; ringingAfterMs?: number }
  | { kind: 'busy'; ringMs?: number }
  | { kind: 'notfound' }
  | { kind: 'unreachable' }
  | { kind: 'ring-forever' }
  /** 183 Session Progress with SDP (its network's own audio) instead of 180, then after `ringMs` the answer or a failure with `failCause`. */
  | { kind: 'early-media'; ringMs?: number; failCause?: number };

export type FarEndChooser = (endpoint: string) => FarEndScript | undefined;

export interface FarEndDefaults {
  /** How long a normal far end rings before it answers. */
  ringMs: number;
  /** How long `…0777` stays up after answering before it sends BYE. */
  hangupAfterMs: number;
  /** How long after answering `…0151` sends its DTMF '1'. */
  dtmfAfterMs: number;
  /** How long `…0183`'s and `…0184`'s early media plays before they answer or fail; `ringMs` when not given. */
  earlyMediaMs?: number | undefined;
}

/**
 * What happens on the wire, resolved from a script: an optional 180 Ringing, then after `ringMs`
 * a final outcome. A failure is a final SIP response mapped to its Q.850 cause by chan_pjsip.
 */
export interface FarEndPlan {
  rings: boolean;
  ringMs: number;
  /** How long after the INVITE the 180 comes (a phone somewhere on the PSTN: tens of ms or more). */
  ringingAfterMs?: number;
  /** The far end sends 183 with SDP rather than 180: chan_pjsip queues PROGRESS, and the bridge publishes Dial PROGRESS (no state change). */
  earlyMedia?: true;
  outcome: { kind: 'answer'; hangupAfterMs?: number; dtmf?: { digit: string; afterMs: number }; keys?: KeyedDigits } | { kind: 'fail'; cause: number } | { kind: 'none' };
}

/**
 * `0503` answers 503 Service Unavailable; chan_pjsip maps 503 to AST_CAUSE_CONGESTION (34), and
 * main/dial.c reports it as dialstatus CONGESTION. That is what a real Asterisk shows when the
 * provider is up but refuses the call for lack of capacity, the common "unreachable" case.
 */
const FAILURE_CAUSE = {
  busy: CAUSE.USER_BUSY, // 486 Busy Here
  notfound: CAUSE.UNALLOCATED, // 404 Not Found
  unreachable: CAUSE.CONGESTION, // 503 Service Unavailable
} as const;

/** `PJSIP/+15551230001@trunk-main` → `+15551230001`; `PJSIP/1001` → `1001`. */
export function dialledNumber(endpoint: string): string {
  const slash = endpoint.indexOf('/');
  const resource = slash >= 0 ? endpoint.slice(slash + 1) : endpoint;
  const at = resource.indexOf('@');
  return at >= 0 ? resource.slice(0, at) : resource;
}

export function defaultFarEnd(endpoint: string, defaults: FarEndDefaults): FarEndScript {
  switch (dialledNumber(endpoint).slice(-4)) {
    case '0486':
      return { kind: 'busy' };
    case '0404':
      return { kind: 'notfound' };
    case '0480':
      return { kind: 'ring-forever' };
    case '0503':
      return { kind: 'unreachable' };
    // The e2e provider's early media: …0183 answers after it, …0184 ends with 404 (an announcement, then "not found").
    case '0183':
      return { kind: 'early-media', ...(defaults.earlyMediaMs !== undefined ? { ringMs: defaults.earlyMediaMs } : {}) };
    case '0184':
      return { kind: 'early-media', failCause: CAUSE.UNALLOCATED, ...(defaults.earlyMediaMs !== undefined ? { ringMs: defaults.earlyMediaMs } : {}) };
    case '0777':
      return { kind: 'answer', hangupAfterMs: defaults.hangupAfterMs };
    // The e2e provider's …0712 stays up six times as long as its …0777 (12 s against 2 s).
    case '0712':
      return { kind: 'answer', hangupAfterMs: defaults.hangupAfterMs * 6 };
    case '0151':
      return { kind: 'answer', dtmf: { digit: '1', afterMs: defaults.dtmfAfterMs } };
    default:
      return { kind: 'answer' };
  }
}

export function planFor(script: FarEndScript, defaults: FarEndDefaults): FarEndPlan {
  switch (script.kind) {
    case 'answer': {
      const outcome: FarEndPlan['outcome'] = { kind: 'answer' };
      if (script.hangupAfterMs !== undefined) outcome.hangupAfterMs = script.hangupAfterMs;
      if (script.dtmf !== undefined) outcome.dtmf = script.dtmf;
      if (script.keys !== undefined) outcome.keys = script.keys;
      // The provider always sends 180 before its 200, as sipp does.
      return { rings: true, ringMs: script.ringMs ?? defaults.ringMs, ...(script.ringingAfterMs !== undefined ? { ringingAfterMs: script.ringingAfterMs } : {}), outcome };
    }
    case 'busy': {
      const ringMs = script.ringMs ?? 0;
      return { rings: ringMs > 0, ringMs, outcome: { kind: 'fail', cause: FAILURE_CAUSE.busy } };
    }
    case 'notfound':
      return { rings: false, ringMs: 0, outcome: { kind: 'fail', cause: FAILURE_CAUSE.notfound } };
    case 'unreachable':
      return { rings: false, ringMs: 0, outcome: { kind: 'fail', cause: FAILURE_CAUSE.unreachable } };
    case 'ring-forever':
      return { rings: true, ringMs: 0, outcome: { kind: 'none' } };
    case 'early-media':
      return {
        rings: true, earlyMedia: true, ringMs: script.ringMs ?? defaults.ringMs,
        outcome: script.failCause === undefined ? { kind: 'answer' } : { kind: 'fail', cause: script.failCause },
      };
  }
}
