/**
 * Callback data of every inline button: short (Telegram allows 64 bytes), typed, and validated on
 * the way back in. Anything that does not decode is forged or stale and does nothing.
 */
import type { ConsultEnd, RouteCode } from '../../call/call-types';
import type { SupervisionMode } from '../../call/supervision';

/** What a party is picked for: a cold or warm transfer, or to be added to the call. */
export type PartyPurpose = 'cold' | 'warm' | 'add';

export type CallbackAction =
  | { kind: 'menu'; menu: 'settings' | 'route' | 'history' }
  | { kind: 'pickRoute'; route: RouteCode }
  | { kind: 'confirmRoute'; route: RouteCode }
  | { kind: 'cancelRoute' }
  | { kind: 'routeThenCall'; route: RouteCode; number: string }
  | { kind: 'call'; number: string }
  | { kind: 'hangup'; callId: string }
  /** The number is looked up from the call, server-side: the data names no number to forge. */
  | { kind: 'dncMark'; callId: string }
  /** An outcome chosen under a call's final status: a configured code (after-call-settings.ts), checked against the call server-side. */
  | { kind: 'dispose'; callId: string; code: string }
  | { kind: 'approve'; telegramId: string }
  | { kind: 'deny'; telegramId: string }
  /** Caller-ID pool: verify a number with a new code, or call it again with the code in force. */
  | { kind: 'verifyNumber'; route: RouteCode; number: string }
  | { kind: 'callNumberAgain'; route: RouteCode; number: string }
  | { kind: 'suspend'; alertId: string }
  /** Under a connected call: ↪️ Transfer (then Cold or Warm) and ➕ Add (then an agent or a number). */
  | { kind: 'transferMenu'; callId: string }
  | { kind: 'transferMode'; callId: string; mode: 'cold' | 'warm' }
  | { kind: 'addMenu'; callId: string }
  | { kind: 'pickAgent'; callId: string; purpose: PartyPurpose; agentId: number }
  /** "🔢 Type a number": the chat's next text is the number. */
  | { kind: 'typeNumber'; callId: string; purpose: PartyPurpose }
  /** During a consultation: ✅ Complete, ↩️ Back, 👥 Conference. */
  | { kind: 'consultEnd'; callId: string; how: ConsultEnd }
  /** Cancels the number the chat was asked to type. */
  | { kind: 'cancelInput' }
  /** After `Call back`: when, in the customer's time (in 1 h, tomorrow morning, or a typed time next). */
  | { kind: 'callbackPick'; callId: string; pick: CallbackPickButton }
  /** On a callback's reminder: 📞 Call; the number is read from the callback, server-side. */
  | { kind: 'callbackCall'; callbackId: number }
  | { kind: 'callbackCancel'; callbackId: number }
  /** Under a recorded call: ⏸ pause (`pause`) or ▶️ resume its recording. */
  | { kind: 'recording'; callId: string; pause: boolean }
  /** Under /live: 🎧 Listen, 🗣 Whisper, 📢 Barge on a call (who may is checked server-side). */
  | { kind: 'supervise'; callId: string; mode: SupervisionMode }
  /** Under a supervisor's own message: switch mode, or ⏹ Leave. */
  | { kind: 'supervisionMode'; supervisionId: string; mode: SupervisionMode }
  | { kind: 'supervisionLeave'; supervisionId: string }
  /** Under a call request from the HTTP API: 📞 Call or Not now; the number is read from the request, server-side. */
  | { kind: 'integrationCall'; requestId: string }
  | { kind: 'integrationNotNow'; requestId: string }
  /** /settings: whether calls the CRM asks for are placed without asking (`on`). */
  | { kind: 'integrationAuto'; on: boolean }
  /** Under a click-to-call link's question: Cancel (its 📞 Call is a `call`). */
  | { kind: 'linkCancel' };

export type CallbackPickButton = 'in_an_hour' | 'tomorrow_morning' | 'typed';

const ROUTE = '([MD])';
const E164 = '(\\+[1-9]\\d{6,14})';
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const USER_ID = '([1-9]\\d{0,19})';
const ALERT_ID = '([0-9a-f]{16})';
const AGENT_ID = '([1-9]\\d{0,9})';
/** A disposition code as DISPOSITION_CODES allows it: `dp:` + 16 + `:` + a call id is 56 bytes. */
const DISPOSITION = '([a-z0-9_]{1,16})';
/** A scheduled callback's row id: nine digits at most, inside PostgreSQL's integer. */
const CALLBACK_ID = '([1-9]\\d{0,8})';

const PURPOSE_CODE: Record<PartyPurpose, string> = { cold: 'c', warm: 'w', add: 'a' };
const PURPOSE_OF: Record<string, PartyPurpose> = { c: 'cold', w: 'warm', a: 'add' };
const END_CODE: Record<ConsultEnd, string> = { complete: 'k', back: 'b', conference: 'f' };
const END_OF: Record<string, ConsultEnd> = { k: 'complete', b: 'back', f: 'conference' };
const PICK_CODE: Record<CallbackPickButton, string> = { in_an_hour: 'h', tomorrow_morning: 'm', typed: 't' };
const PICK_OF: Record<string, CallbackPickButton> = { h: 'in_an_hour', m: 'tomorrow_morning', t: 'typed' };
const MODE_CODE: Record<SupervisionMode, string> = { listen: 'l', whisper: 'w', barge: 'b' };
const MODE_OF: Record<string, SupervisionMode> = { l: 'listen', w: 'whisper', b: 'barge' };

const DECODERS: ReadonlyArray<[RegExp, (m: RegExpMatchArray) => CallbackAction]> = [
  [/^mn:(settings|route|history)$/, (m) => ({ kind: 'menu', menu: m[1] as 'settings' | 'route' | 'history' })],
  [new RegExp(`^rp:${ROUTE}$`), (m) => ({ kind: 'pickRoute', route: m[1] as RouteCode })],
  [new RegExp(`^ry:${ROUTE}$`), (m) => ({ kind: 'confirmRoute', route: m[1] as RouteCode })],
  [/^rn$/, () => ({ kind: 'cancelRoute' })],
  [new RegExp(`^rc:${ROUTE}:${E164}$`), (m) => ({ kind: 'routeThenCall', route: m[1] as RouteCode, number: m[2]! })],
  [new RegExp(`^ca:${E164}$`), (m) => ({ kind: 'call', number: m[1]! })],
  [new RegExp(`^hu:${UUID}$`), (m) => ({ kind: 'hangup', callId: m[1]! })],
  [new RegExp(`^nd:${UUID}$`), (m) => ({ kind: 'dncMark', callId: m[1]! })],
  [new RegExp(`^dp:${DISPOSITION}:${UUID}$`), (m) => ({ kind: 'dispose', code: m[1]!, callId: m[2]! })],
  [new RegExp(`^ap:${USER_ID}$`), (m) => ({ kind: 'approve', telegramId: m[1]! })],
  [new RegExp(`^dn:${USER_ID}$`), (m) => ({ kind: 'deny', telegramId: m[1]! })],
  [new RegExp(`^nv:${ROUTE}:${E164}$`), (m) => ({ kind: 'verifyNumber', route: m[1] as RouteCode, number: m[2]! })],
  [new RegExp(`^na:${ROUTE}:${E164}$`), (m) => ({ kind: 'callNumberAgain', route: m[1] as RouteCode, number: m[2]! })],
  [new RegExp(`^sa:${ALERT_ID}$`), (m) => ({ kind: 'suspend', alertId: m[1]! })],
  [new RegExp(`^tr:${UUID}$`), (m) => ({ kind: 'transferMenu', callId: m[1]! })],
  [new RegExp(`^tm:([cw]):${UUID}$`), (m) => ({ kind: 'transferMode', mode: m[1] === 'c' ? 'cold' : 'warm', callId: m[2]! })],
  [new RegExp(`^ad:${UUID}$`), (m) => ({ kind: 'addMenu', callId: m[1]! })],
  [new RegExp(`^pa:([cwa]):${UUID}:${AGENT_ID}$`), (m) => ({ kind: 'pickAgent', purpose: PURPOSE_OF[m[1]!]!, callId: m[2]!, agentId: Number(m[3]) })],
  [new RegExp(`^pn:([cwa]):${UUID}$`), (m) => ({ kind: 'typeNumber', purpose: PURPOSE_OF[m[1]!]!, callId: m[2]! })],
  [new RegExp(`^ce:([kbf]):${UUID}$`), (m) => ({ kind: 'consultEnd', how: END_OF[m[1]!]!, callId: m[2]! })],
  [/^ic$/, () => ({ kind: 'cancelInput' })],
  [new RegExp(`^bp:([hmt]):${UUID}$`), (m) => ({ kind: 'callbackPick', pick: PICK_OF[m[1]!]!, callId: m[2]! })],
  [new RegExp(`^bc:${CALLBACK_ID}$`), (m) => ({ kind: 'callbackCall', callbackId: Number(m[1]) })],
  [new RegExp(`^bx:${CALLBACK_ID}$`), (m) => ({ kind: 'callbackCancel', callbackId: Number(m[1]) })],
  [new RegExp(`^rk:([pr]):${UUID}$`), (m) => ({ kind: 'recording', pause: m[1] === 'p', callId: m[2]! })],
  [new RegExp(`^sv:([lwb]):${UUID}$`), (m) => ({ kind: 'supervise', mode: MODE_OF[m[1]!]!, callId: m[2]! })],
  [new RegExp(`^sm:([lwb]):${UUID}$`), (m) => ({ kind: 'supervisionMode', mode: MODE_OF[m[1]!]!, supervisionId: m[2]! })],
  [new RegExp(`^sx:${UUID}$`), (m) => ({ kind: 'supervisionLeave', supervisionId: m[1]! })],
  [new RegExp(`^ir:${UUID}$`), (m) => ({ kind: 'integrationCall', requestId: m[1]! })],
  [new RegExp(`^ix:${UUID}$`), (m) => ({ kind: 'integrationNotNow', requestId: m[1]! })],
  [/^ia:([01])$/, (m) => ({ kind: 'integrationAuto', on: m[1] === '1' })],
  [/^lx$/, () => ({ kind: 'linkCancel' })],
];

export function encodeCallback(action: CallbackAction): string {
  switch (action.kind) {
    case 'menu': return `mn:${action.menu}`;
    case 'pickRoute': return `rp:${action.route}`;
    case 'confirmRoute': return `ry:${action.route}`;
    case 'cancelRoute': return 'rn';
    case 'routeThenCall': return `rc:${action.route}:${action.number}`;
    case 'call': return `ca:${action.number}`;
    case 'hangup': return `hu:${action.callId}`;
    case 'dncMark': return `nd:${action.callId}`;
    case 'dispose': return `dp:${action.code}:${action.callId}`;
    case 'approve': return `ap:${action.telegramId}`;
    case 'deny': return `dn:${action.telegramId}`;
    case 'verifyNumber': return `nv:${action.route}:${action.number}`;
    case 'callNumberAgain': return `na:${action.route}:${action.number}`;
    case 'suspend': return `sa:${action.alertId}`;
    case 'transferMenu': return `tr:${action.callId}`;
    case 'transferMode': return `tm:${action.mode === 'cold' ? 'c' : 'w'}:${action.callId}`;
    case 'addMenu': return `ad:${action.callId}`;
    case 'pickAgent': return `pa:${PURPOSE_CODE[action.purpose]}:${action.callId}:${action.agentId}`;
    case 'typeNumber': return `pn:${PURPOSE_CODE[action.purpose]}:${action.callId}`;
    case 'consultEnd': return `ce:${END_CODE[action.how]}:${action.callId}`;
    case 'cancelInput': return 'ic';
    case 'callbackPick': return `bp:${PICK_CODE[action.pick]}:${action.callId}`;
    case 'callbackCall': return `bc:${action.callbackId}`;
    case 'callbackCancel': return `bx:${action.callbackId}`;
    case 'recording': return `rk:${action.pause ? 'p' : 'r'}:${action.callId}`;
    case 'supervise': return `sv:${MODE_CODE[action.mode]}:${action.callId}`;
    case 'supervisionMode': return `sm:${MODE_CODE[action.mode]}:${action.supervisionId}`;
    case 'supervisionLeave': return `sx:${action.supervisionId}`;
    case 'integrationCall': return `ir:${action.requestId}`;
    case 'integrationNotNow': return `ix:${action.requestId}`;
    case 'integrationAuto': return `ia:${action.on ? '1' : '0'}`;
    case 'linkCancel': return 'lx';
  }
}

export function decodeCallback(data: string | undefined): CallbackAction | undefined {
  if (!data || Buffer.byteLength(data, 'utf8') > 64) return undefined;
  for (const [pattern, build] of DECODERS) {
    const m = data.match(pattern);
    if (m) return build(m);
  }
  return undefined;
}
