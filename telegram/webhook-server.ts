import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Update } from 'node-telegram-bot-api/types';
import type { Logger } from '../config/logger';
import { HttpListener } from '../ops/http-listener';

/** Telegram's updates are a few KiB; anything near this is not one. */
export const WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** The URL path Telegram posts to; every other path is answered 404. */
  path: string;
  /** The secret_token given in setWebhook; Telegram sends it in X-Telegram-Bot-Api-Secret-Token. */
  secret: string;
  /** Hands one update to the bot. */
  deliver: (update: Update) => Promise<void>;
  logger: Logger;
  maxBodyBytes?: number;
  /** A sender slower than this (headers, or the whole request) is answered 408 and disconnected. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

interface Refusal {
  status: number;
  text: string;
  headers?: Record<string, string>;
}

/**
 * The endpoint Telegram posts updates to. Every request is answered, and one that will be refused
 * (wrong path or method, no or wrong secret, a declared size above the cap) is answered from its
 * headers alone, before a byte of its body is read; a body that grows past the cap while it
 * streams is cut off. Node's own timeouts answer senders that trickle (408).
 */
export function startWebhookServer(options: WebhookServerOptions): Promise<HttpListener> {
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server = http.createServer({
    requestTimeout,
    // Node refuses a headers timeout longer than the request's.
    headersTimeout: Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout),
    // How often Node looks for senders past those timeouts; its default (30 s) would let them run on.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
  });
  const handle = (req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean) => {
    serve(req, res, options, expectsContinue).catch((err: unknown) => {
      options.logger.warn('webhook request failed', { err });
      if (!res.headersSent) answer(res, { status: 500, text: 'internal error' });
    });
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => handle(req, res, false));
  // A client that asks before sending its body (Expect: 100-continue) is refused before it sends any.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => handle(req, res, true));
  return HttpListener.listen(server, options.host, options.port, 'webhook server');
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, options: WebhookServerOptions, expectsContinue: boolean): Promise<void> {
  const max = options.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES;
  const refusal = refusalFromHeaders(req, options, max);
  if (refusal) {
    options.logger.debug('webhook request refused', { method: req.method, status: refusal.status });
    return answer(res, refusal);
  }
  if (expectsContinue) res.writeContinue();
  const body = await bodyWithin(req, max);
  if (body === 'too large') return answer(res, TOO_LARGE);
  if (body === 'gone') return;
  const update = updateOf(body);
  if (!update) return answer(res, { status: 400, text: 'not a Telegram update' }, false);
  await options.deliver(update);
  answer(res, { status: 200, text: '' }, false);
}

const TOO_LARGE: Refusal = { status: 413, text: 'too large' };

function refusalFromHeaders(req: http.IncomingMessage, options: WebhookServerOptions, max: number): Refusal | undefined {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== options.path) return { status: 404, text: 'not found' };
  if (req.method !== 'POST') return { status: 405, text: 'method not allowed', headers: { Allow: 'POST' } };
  if (!secretMatches(req.headers['x-telegram-bot-api-secret-token'], options.secret)) return { status: 401, text: 'unauthorized' };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return TOO_LARGE;
  return undefined;
}

/** Compared as digests of equal length, so neither the secret's content nor its length shows in the timing. */
function secretMatches(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** The body, unless it grows past `max` (then reading stops) or the sender goes away. */
function bodyWithin(req: http.IncomingMessage, max: number): Promise<Buffer | 'too large' | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | 'too large' | 'gone') => {
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        finish('too large');
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks)));
    req.once('error', () => finish('gone'));
    req.once('close', () => {
      if (!req.complete) finish('gone');
    });
  });
}

function updateOf(body: Buffer): Update | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const isUpdate = typeof parsed === 'object' && parsed !== null && Number.isInteger((parsed as { update_id?: unknown }).update_id);
  return isUpdate ? parsed as Update : undefined;
}

/**
 * Answers; a refusal also closes the connection, so whatever the sender still has of its body is
 * never read (Node would otherwise drain it to keep the connection alive).
 */
function answer(res: http.ServerResponse, reply: Refusal, close = true): void {
  res.writeHead(reply.status, {
    'Content-Type': 'text/plain; charset=utf-8',
    ...(close ? { Connection: 'close' } : {}),
    ...reply.headers,
  });
  res.end(reply.text ? `${reply.text}\n` : undefined);
}
