/**
 * The Mini App's session: a short-lived token signed by the server (HMAC-SHA256 under a key derived
 * from the bot token), naming the Telegram user and when it expires. It proves who signed in; what
 * they may do is read afresh on every request, so a revoke takes effect at the next one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SessionClaims {
  telegramId: string;
  expiresAtMs: number;
}

/** Kept apart from Telegram's own "WebAppData" key: a token is never a valid initData hash, nor the reverse. */
function sessionKey(botToken: string): Buffer {
  return createHmac('sha256', 'callbot-miniapp-session').update(botToken).digest();
}

function signatureOf(payload: string, botToken: string): string {
  return createHmac('sha256', sessionKey(botToken)).update(payload).digest('base64url');
}

export function issueSessionToken(claims: SessionClaims, botToken: string): string {
  const payload = `${claims.telegramId}.${claims.expiresAtMs}`;
  return `${payload}.${signatureOf(payload, botToken)}`;
}

/** The claims of a token signed here and not expired at `nowMs`; undefined otherwise. */
export function readSessionToken(token: unknown, botToken: string, nowMs: number): SessionClaims | undefined {
  if (typeof token !== 'string' || token.length > 200) return undefined;
  const match = /^(\d{1,20})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const [, telegramId, expires, signature] = match as unknown as [string, string, string, string];
  const expected = Buffer.from(signatureOf(`${telegramId}.${expires}`, botToken));
  if (!timingSafeEqual(expected, Buffer.from(signature))) return undefined;
  const expiresAtMs = Number(expires);
  return expiresAtMs > nowMs ? { telegramId, expiresAtMs } : undefined;
}
