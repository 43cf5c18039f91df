/**
 * Callback data of every inline button: short (Telegram allows 64 bytes), typed, and validated on
 * the way back in. Anything that does not decode is forged or stale and does nothing.
 */
import type { RouteCode } from '../../call/call-types';

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
  | { kind: 'approve'; telegramId: string }
  | { kind: 'deny'; telegramId: string }
  /** Caller-ID pool: verify a number with a new code, or call it again with the code in force. */
  | { kind: 'verifyNumber'; route: RouteCode; number: string }
  | { kind: 'callNumberAgain'; route: RouteCode; number: string }

  | { kind: 'suspend'; alertId: string };

const ROUTE = '([MD])';
const E164 = '(\\+[1-9]\\d{6,14})';
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const USER_ID = '([1-9]\\d{0,19})';
const ALERT_ID = '([0-9a-f]{16})';

const DECODERS: ReadonlyArray<[RegExp, (m: RegExpMatchArray) => CallbackAction]> = [
  [/^mn:(settings|route|history)$/, (m) => ({ kind: 'menu', menu: m[1] as 'settings' | 'route' | 'history' })],
  [new RegExp(`^rp:${ROUTE}$`), (m) => ({ kind: 'pickRoute', route: m[1] as RouteCode })],
  [new RegExp(`^ry:${ROUTE}$`), (m) => ({ kind: 'confirmRoute', route: m[1] as RouteCode })],
  [/^rn$/, () => ({ kind: 'cancelRoute' })],
  [new RegExp(`^rc:${ROUTE}:${E164}$`), (m) => ({ kind: 'routeThenCall', route: m[1] as RouteCode, number: m[2]! })],
  [new RegExp(`^ca:${E164}$`), (m) => ({ kind: 'call', number: m[1]! })],
  [new RegExp(`^hu:${UUID}$`), (m) => ({ kind: 'hangup', callId: m[1]! })],
  [new RegExp(`^nd:${UUID}$`), (m) => ({ kind: 'dncMark', callId: m[1]! })],
  [new RegExp(`^ap:${USER_ID}$`), (m) => ({ kind: 'approve', telegramId: m[1]! })],
  [new RegExp(`^dn:${USER_ID}$`), (m) => ({ kind: 'deny', telegramId: m[1]! })],
  [new RegExp(`^nv:${ROUTE}:${E164}$`), (m) => ({ kind: 'verifyNumber', route: m[1] as RouteCode, number: m[2]! })],
  [new RegExp(`^na:${ROUTE}:${E164}$`), (m) => ({ kind: 'callNumberAgain', route: m[1] as RouteCode, number: m[2]! })],
  [new RegExp(`^sa:${ALERT_ID}$`), (m) => ({ kind: 'suspend', alertId: m[1]! })],
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
    case 'approve': return `ap:${action.telegramId}`;
    case 'deny': return `dn:${action.telegramId}`;
    case 'verifyNumber': return `nv:${action.route}:${action.number}`;
    case 'callNumberAgain': return `na:${action.route}:${action.number}`;
    case 'suspend': return `sa:${action.alertId}`;
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
