import http from 'node:http';
import https from 'node:https';
import { AriRequestError } from './ari-port';
import { RequestCounter } from './request-first';

export type QueryValue = string | number | boolean | undefined | null;

/**
 * ARI's REST calls over Node's own HTTP client with keep-alive connections; a 404 stays a 404
 * (why not ari-client's REST: docs/why-not-ari-client.md).
 */
export class AriRest {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly auth: string;
  private readonly send: typeof http.request;
  /** Lets the event reader see that handling an event asked for a request (see request-first.ts). */
  readonly requests = new RequestCounter();

  /**
   * `idleMs`: a kept-alive connection idle this long is closed by us. Asterisk closes one idle for
   * its session_keep_alive (15 s, asterisk/http.conf); a request written onto a connection at the
   * moment Asterisk closes it fails with ECONNRESET and would end a call, so ours closes first.
   */
  /** `userAgent`: names this process in Asterisk's view of its clients (cluster mode: the instance). */
  constructor(url: string, username: string, password: string, private readonly timeoutMs: number, idleMs = 10_000, private readonly userAgent = 'callbot') {
    this.base = new URL(url);
    const secure = this.base.protocol === 'https:';
    this.send = secure ? https.request : http.request;
    const options = { keepAlive: true, maxSockets: 64, timeout: idleMs };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
    this.auth = `${username}:${password}`;
  }

  /**
   * Resolves to the parsed JSON body (undefined for 204); rejects with the HTTP status when there is
   * one. `body`: sent as JSON (ARI reads channel variables only from the body).
   */
  async call<T = unknown>(name: string, method: 'GET' | 'POST' | 'DELETE', path: string, query: Record<string, QueryValue> = {}, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const text = (await this.exchange(name, method, path, query, payload)).toString('utf8');
    return parseJson(text) as T;
  }

  /** A GET whose answer is a file (a stored recording): its bytes as they came. */
  file(name: string, path: string): Promise<Buffer> {
    return this.exchange(name, 'GET', path, {}, undefined, '*/*');
  }

  /** One request; resolves to the answer's bytes on 2xx, rejects with the HTTP status and Asterisk's message otherwise. */
  private exchange(
    name: string, method: 'GET' | 'POST' | 'DELETE', path: string, query: Record<string, QueryValue>, payload: Buffer | undefined, accept = 'application/json',
  ): Promise<Buffer> {
    const search = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    this.requests.count();
    return new Promise<Buffer>((resolve, reject) => {
      const req = this.send({
        protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port,
        path: `/ari${path}${search ? `?${search}` : ''}`, method, auth: this.auth, agent: this.agent,
        headers: {
          accept, 'content-length': payload?.length ?? 0, 'user-agent': this.userAgent,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new AriRequestError(name, 'response broken off', undefined, { cause: err })));
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          const bytes = Buffer.concat(chunks);
          if (status >= 200 && status < 300) return resolve(bytes);
          const text = bytes.toString('utf8');
          const body = parseJson(text);
          const message = (body as { message?: string } | undefined)?.message ?? (text || `HTTP ${status}`);
          reject(new AriRequestError(name, message, status));
        });
      });
      const timer = setTimeout(() => req.destroy(new AriRequestError(name, `no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof AriRequestError ? err : new AriRequestError(name, err.message, undefined, { cause: err }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
