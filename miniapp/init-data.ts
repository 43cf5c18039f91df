/**
 * Telegram's `initData`, the query string a Mini App is opened with, checked as Telegram documents
 * ("Validating data received via the Mini App"): every field but `hash`, sorted by name, as
 * `name=value` lines, signed with HMAC-SHA256 under the key HMAC-SHA256("WebAppData", bot token).
 * Only the server holds the token, so only it can tell a real sign-in from a forged one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The Telegram user the app was opened by, as `initData`'s `user` field carries them. */
export interface InitDataUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** Why an initData was refused: a stable code the 401's body carries. */
export type InitDataRefusal = 'missing' | 'malformed' | 'bad_hash' | 'stale' | 'from_the_future' | 'no_user';

export type InitDataCheck =
  | { ok: true; user: InitDataUser; authDate: number }
  | { ok: false; reason: InitDataRefusal };

/** A clock a little ahead of Telegram's still signs in; one minutes ahead is a forged date or a broken clock. */
const FUTURE_TOLERANCE_S = 60;
/** Longer than any initData Telegram sends: past it the string is not parsed at all. */
const MAX_INIT_DATA_CHARS = 8192;

/** The key Telegram derives from the bot token for Mini App data. */
export function initDataKey(botToken: string): Buffer {
  return createHmac('sha256', 'WebAppData').update(botToken).digest();
}

/** The `hash` of a set of fields, as Telegram computes it. */
export function initDataHash(fields: ReadonlyMap<string, string>, botToken: string): string {
  const lines = [...fields].filter(([name]) => name !== 'hash').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => `${name}=${value}`);
  return createHmac('sha256', initDataKey(botToken)).update(lines.join('\n')).digest('hex');
}

/** Checks the signature, then the age (by `nowMs`), then that a user is named. */
export function checkInitData(raw: unknown, botToken: string, nowMs: number, maxAgeS: number): InitDataCheck {
  if (typeof raw !== 'string' || raw === '') return { ok: false, reason: 'missing' };
  if (raw.length > MAX_INIT_DATA_CHARS) return { ok: false, reason: 'malformed' };
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(raw)) {
    // A field given twice is no initData Telegram signed.
    if (fields.has(name)) return { ok: false, reason: 'malformed' };
    fields.set(name, value);
  }
  const hash = fields.get('hash');
  if (!hash || !/^[0-9a-f]{64}$/.test(hash)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(initDataHash(fields, botToken), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(hash, 'hex'))) return { ok: false, reason: 'bad_hash' };
  const authDate = Number(fields.get('auth_date'));
  if (!Number.isInteger(authDate) || authDate <= 0) return { ok: false, reason: 'malformed' };
  const ageS = nowMs / 1000 - authDate;
  if (ageS > maxAgeS) return { ok: false, reason: 'stale' };
  if (ageS < -FUTURE_TOLERANCE_S) return { ok: false, reason: 'from_the_future' };
  const user = userOf(fields.get('user'));
  return user ? { ok: true, user, authDate } : { ok: false, reason: 'no_user' };
}

function userOf(json: string | undefined): InitDataUser | undefined {
  if (!json) return undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { id, first_name: firstName } = parsed as Record<string, unknown>;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof firstName !== 'string') return undefined;
    return parsed as InitDataUser;
  } catch {
    return undefined;
  }
}

/** An initData signed with `botToken`, as Telegram would send it (specs and the browser test sign in with it). */
export function signInitData(fields: Record<string, string>, botToken: string): string {
  const map = new Map(Object.entries(fields));
  map.set('hash', initDataHash(map, botToken));
  return new URLSearchParams([...map]).toString();
}
