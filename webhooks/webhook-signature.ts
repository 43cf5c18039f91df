import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The headers of every delivery (docs/webhooks.md). */
export const WEBHOOK_HEADERS = {
  id: 'callbot-event-id',
  timestamp: 'callbot-timestamp',
  signature: 'callbot-signature',
} as const;

/** A new endpoint's secret: 32 random bytes, shown once to the admin who adds it. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** HMAC-SHA256 over `${timestamp}.${body}` with the endpoint's secret, as hex. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The signature header, `t=<unix seconds>,v1=<hex>`, in the shape Stripe's receivers already parse. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

/**
 * The receiver's check (the same as docs/webhooks.md's snippet): the signature matches and its
 * timestamp is within `toleranceS` of `nowS`, so a captured request cannot be replayed later.
 */
export function verifyWebhook(secret: string, header: string, body: string, nowS: number, toleranceS = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > toleranceS || !parts.v1) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
