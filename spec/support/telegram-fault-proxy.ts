import http from 'node:http';
import type net from 'node:net';
import { TokenBucket } from '../../telegram/telegram-outbox';
import { closeServer, readBody } from './http-util';

/** What the proxy does with one Bot API request. */
export type FaultAction =
  | { kind: 'forward' }
  | { kind: 'too_many_requests'; retryAfterS: number }
  /** 502 without forwarding: Telegram never saw the request. */
  | { kind: 'bad_gateway_before' }
  /** Forwarded and done, then 502: the bot cannot know it was delivered. */
  | { kind: 'bad_gateway_after' };

export interface ProxiedRequest {
  method: string;
  chatId?: string;
}

export type FaultRule = (request: ProxiedRequest) => FaultAction;

/** Telegram's limits as the proxy enforces them in `limits` mode. */
export interface TelegramLimitsModel {
  perChatRate: number;
  perChatBurst: number;
  globalRate: number;
  globalBurst: number;
}

/** About one message a second per chat with a short burst, about 30 a second overall. */
export const TELEGRAM_AT_ITS_LIMITS: TelegramLimitsModel = { perChatRate: 1, perChatBurst: 3, globalRate: 30, globalBurst: 30 };

const MESSAGE_METHODS = new Set(['sendMessage', 'editMessageText']);

/**
 * A real HTTP proxy in front of the local Bot API server, on loopback. By rule it answers 429 with
 * `parameters.retry_after`, 502 before forwarding, or forwards and then answers 502; in limits mode
 * it answers 429 as Telegram does when a chat or the bot goes over its rate. It counts what it did
 * and keeps when each message reached each chat.
 */
export class TelegramFaultProxy {
  rule: FaultRule = () => ({ kind: 'forward' });
  readonly counts = { forwarded: 0, tooManyRequests: 0, badGatewayBefore: 0, badGatewayAfter: 0, limitsTooManyRequests: 0 };
  /** Delivery times (ms since the epoch) of sendMessage/editMessageText per chat, in order. */
  readonly deliveries = new Map<string, number[]>();
  private limits?: { model: TelegramLimitsModel; global: TokenBucket; chats: Map<string, TokenBucket> };

  private constructor(private readonly server: http.Server, private readonly upstream: URL) {}

  static async start(upstreamApiRoot: string): Promise<TelegramFaultProxy> {
    const server = http.createServer();
    const proxy = new TelegramFaultProxy(server, new URL(upstreamApiRoot));
    server.on('request', (req, res) => void proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Answers 429 like Telegram at its limits (on top of any rule). */
  enforceLimits(model: TelegramLimitsModel = TELEGRAM_AT_ITS_LIMITS): void {
    this.limits = { model, global: new TokenBucket(model.globalRate, model.globalBurst, Date), chats: new Map() };
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.url ?? '').split('/').at(-1)?.split('?')[0] ?? '';
    const chatId = chatIdOf(req.headers['content-type'], body);
    const isMessage = MESSAGE_METHODS.has(method);
    const action = isMessage ? this.overLimit(chatId) ?? this.rule({ method, chatId }) : { kind: 'forward' as const };
    if (action.kind === 'too_many_requests') {
      this.counts.tooManyRequests += 1;
      return reply(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${action.retryAfterS}`, parameters: { retry_after: action.retryAfterS } });
    }
    if (action.kind === 'bad_gateway_before') {
      this.counts.badGatewayBefore += 1;
      return badGateway(res);
    }
    let upstream: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    try {
      upstream = await this.forward(req, body);
    } catch {
      return badGateway(res);
    }
    this.counts.forwarded += 1;
    if (isMessage && upstream.status === 200 && chatId !== undefined) {
      const times = this.deliveries.get(chatId) ?? [];
      times.push(Date.now());
      this.deliveries.set(chatId, times);
    }
    if (action.kind === 'bad_gateway_after') {
      this.counts.badGatewayAfter += 1;
      return badGateway(res);
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers['content-type'] ?? 'application/json' });
    res.end(upstream.body);
  }

  private overLimit(chatId: string | undefined): FaultAction | undefined {
    if (!this.limits) return undefined;
    const { model, global, chats } = this.limits;
    let chat = chatId === undefined ? undefined : chats.get(chatId);
    if (chatId !== undefined && !chat) {
      chat = new TokenBucket(model.perChatRate, model.perChatBurst, Date);
      chats.set(chatId, chat);
    }
    const wait = Math.max(global.msUntilToken(), chat?.msUntilToken() ?? 0);
    if (wait > 0) {
      this.counts.limitsTooManyRequests += 1;
      return { kind: 'too_many_requests', retryAfterS: Math.max(1, Math.ceil(wait / 1000)) };
    }
    global.take();
    chat?.take();
    return undefined;
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const out = http.request({
        host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: this.upstream.host, 'content-length': String(body.length) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }
}

function chatIdOf(contentType: string | undefined, body: Buffer): string | undefined {
  const text = body.toString('utf8');
  if (contentType?.includes('application/json')) {
    try {
      const id = (JSON.parse(text) as { chat_id?: unknown }).chat_id;
      return id === undefined ? undefined : String(id);
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(text).get('chat_id') ?? undefined;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function badGateway(res: http.ServerResponse): void {
  res.writeHead(502, { 'content-type': 'text/html' });
  res.end('<html><body>502 Bad Gateway</body></html>');
}

