import http from 'node:http';
import type net from 'node:net';
import { closeServer, readBody } from './http-util';

/** One update the proxy passed on: to whom, and what that upstream answered. */
export interface HandledUpdate {
  upstream: string;
  status: number;
}

export interface RoundRobinProxyOptions {
  /** Added to every forwarded request as X-Telegram-Bot-Api-Secret-Token. */
  secret: string;
  upstreams?: readonly string[];
  /**
   * How long one upstream may take to answer (default 10 s); then the proxy answers 504 and does
   * not try another, since a stopped (SIGSTOP) process may yet handle the update it accepted.
   */
  upstreamTimeoutMs?: number;
}

/**
 * Errors of the connect itself: the update never reached the upstream, so another may take it. A
 * reset is not among them: the upstream may have read, and handled, the update before it.
 */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

class NotDelivered extends Error {}

/**
 * A load balancer in front of several callbot webhook servers, on 127.0.0.1: each POST goes to the
 * next upstream in turn, skipping those that refuse the connection. It adds the secret header the
 * local Bot API server (telegram-test-api) leaves out of its webhook posts, without which callbot
 * answers 401, and passes the upstream's status back, so a refused update fails the user's send.
 */
export class RoundRobinProxy {
  private upstreams: string[];
  private next = 0;
  /** Every forwarded update, oldest first. */
  readonly handled: HandledUpdate[] = [];

  private constructor(private readonly server: http.Server, private readonly opts: RoundRobinProxyOptions) {
    this.upstreams = [...(opts.upstreams ?? [])];
  }

  static async start(opts: RoundRobinProxyOptions): Promise<RoundRobinProxy> {
    const server = http.createServer();
    const proxy = new RoundRobinProxy(server, opts);
    server.on('request', (req, res) => {
      proxy.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Where the Bot API server should post updates (any path: the upstream's own path is kept in its URL). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/telegram`;
  }

  /** Replaces the upstreams (full URLs, e.g. http://127.0.0.1:<port>/telegram); the rotation starts over. */
  setUpstreams(urls: readonly string[]): void {
    this.upstreams = [...urls];
    this.next = 0;
  }

  /** How many updates this upstream answered (any status). */
  handledBy(upstream: string): number {
    return this.handled.filter((h) => h.upstream === upstream).length;
  }

  /** Updates answered per upstream, every upstream listed (0 for one that answered none). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.upstreams.map((u) => [u, this.handledBy(u)]));
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req);
    const contentType = req.headers['content-type'] ?? 'application/json';
    const tries = this.upstreams.length;
    for (let i = 0; i < tries; i += 1) {
      const upstream = this.upstreams[this.next % tries]!;
      this.next = (this.next + 1) % tries;
      try {
        const answer = await this.forward(upstream, body, contentType);
        this.handled.push({ upstream, status: answer.status });
        res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
        return;
      } catch (err) {
        if (err instanceof NotDelivered) continue;
        res.writeHead(504, { 'content-type': 'text/plain' }).end(`${upstream}: ${(err as Error).message}`);
        return;
      }
    }
    res.writeHead(502, { 'content-type': 'text/plain' }).end(`no upstream took the update (${tries} tried)`);
  }

  private forward(upstream: string, body: Buffer, contentType: string): Promise<{ status: number; contentType: string; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const request = http.request(upstream, {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': body.length, 'x-telegram-bot-api-secret-token': this.opts.secret },
        // A fresh connection each time: a pooled socket to a killed upstream would fail as a reset, not a refusal.
        agent: false,
        timeout: this.opts.upstreamTimeoutMs ?? 10_000,
      });
      request.once('timeout', () => request.destroy(new Error(`no answer within ${this.opts.upstreamTimeoutMs ?? 10_000} ms`)));
      request.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code !== undefined && NOT_DELIVERED.has(err.code) ? new NotDelivered(err.message) : err);
      });
      request.once('response', (response) => {
        readBody(response).then(
          (answer) => resolve({ status: response.statusCode ?? 502, contentType: response.headers['content-type'] ?? 'text/plain', body: answer }),
          reject,
        );
      });
      request.end(body);
    });
  }
}
