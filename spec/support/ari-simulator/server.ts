/**
 * The wire: an HTTP server on 127.0.0.1 for /ari (basic auth or api_key, JSON in and out) and the
 * /ari/events WebSocket that carries each application's events. Nothing here knows telephony.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';

import { WebSocket, WebSocketServer } from 'ws';

import { ASTERISK_ID, asteriskTime, type ApplicationReplacedEvent } from './model';
import type { Params, RestResult } from './rest';

export interface RecordedRequest {
  /** performance.now() when the request arrived. */
  t: number;
  method: string;
  /** The URL path as sent, e.g. `/ari/channels/abc`. */
  path: string;
  /** The decoded query string (without api_key); repeated keys joined with commas. */
  query: Record<string, string>;
  /** Scalar fields of a JSON body, when there was one. */
  body?: Record<string, string>;
  /** The HTTP status it was answered with (101 for an accepted WebSocket); set when answered. */
  status?: number;
  /** How the client sent its credentials: an Authorization header, an api_key in the URL, or not at all. */
  credentials: 'header' | 'api_key' | 'none';
  /** The client's User-Agent header ('' when it sent none): which instance asked, in cluster specs. */
  userAgent: string;
}

export interface ServerHandlers {
  username: string;
  password: string;
  /** The Asterisk version the answers' `Server` header names. */
  serverVersion: string;
  rest(method: string, pathname: string, params: Params, host: string): Promise<RestResult>;
  requested(r: RecordedRequest): void;
  appConnected(app: string): void;
  appDisconnected(app: string): void;
}

const LOOPBACK = '127.0.0.1';
const MAX_BODY_BYTES = 1 << 20;

export class AriServer {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  /** The socket each app's events go to: the newest one subscribed, as in Asterisk. */
  private readonly subscribers = new Map<string, WebSocket>();
  private refusing = false;
  private closed = false;
  /** The sockets whose events are held (holdEvents), and those events in order, with the socket each was for. */
  private held?: { sockets: ReadonlySet<WebSocket>; events: Array<{ ws: WebSocket; data: string }> };
  /**
   * Every event up to this many ms late, in order (ARI_SIM_EVENT_JITTER_MS; unset: at once): a hunt
   * for specs that race the app's reading of events, as a loaded CI machine does (docs/development.md).
   */
  private readonly jitterMs = Math.max(0, Number(process.env['ARI_SIM_EVENT_JITTER_MS'] ?? 0) || 0);
  /** Each socket's last late event: the next one is written after it. */
  private readonly lateEvents = new WeakMap<WebSocket, Promise<void>>();
  /** TCP connections accepted so far (HTTP keep-alive reuse shows as requests without new ones). */
  connectionsAccepted = 0;
  /** Of those, how many have closed since (from either end). */
  connectionsClosed = 0;

  private constructor(
    private readonly httpServer: http.Server,
    private readonly handlers: ServerHandlers,
    readonly port: number,
  ) {}

  /** Listen on 127.0.0.1 only; port 0 picks an ephemeral one. */
  static listen(port: number, handlers: ServerHandlers): Promise<AriServer> {
    const httpServer = http.createServer();
    return new Promise<AriServer>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`ARI simulator could not listen on ${LOOPBACK}:${port}`, { cause: err }));
      httpServer.once('error', onError);
      httpServer.listen(port, LOOPBACK, () => {
        httpServer.off('error', onError);
        const address = httpServer.address();
        if (address === null || typeof address === 'string') {
          reject(new Error(`ARI simulator got an unexpected address ${String(address)}`));
          return;
        }
        const server = new AriServer(httpServer, handlers, address.port);
        httpServer.on('connection', (socket) => {
          server.connectionsAccepted += 1;
          socket.once('close', () => { server.connectionsClosed += 1; });
        });
        httpServer.on('request', (req, res) => server.onRequest(req, res));
        httpServer.on('upgrade', (req, socket, head) => server.onUpgrade(req, socket, head));
        resolve(server);
      });
    });
  }

  /** Send one serialised event to the app's socket; false when no open socket took it. */
  send(app: string, data: string): boolean {
    const ws = this.subscribers.get(app);
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    if (this.held?.sockets.has(ws)) this.held.events.push({ ws, data });
    else if (this.jitterMs > 0) this.sendLate(ws, data);
    else ws.send(data);
    return true;
  }

  private sendLate(ws: WebSocket, data: string): void {
    const delayMs = Math.random() * this.jitterMs;
    const sent = (this.lateEvents.get(ws) ?? Promise.resolve())
      .then(() => new Promise<void>((resolve) => { setTimeout(resolve, delayMs); }))
      .then(() => { if (ws.readyState === WebSocket.OPEN) ws.send(data); });
    this.lateEvents.set(ws, sent);
  }

  /** Events for the sockets open now are kept until releaseEvents (a socket opened later is not held). */
  holdEvents(): void {
    this.held ??= { sockets: new Set(this.subscribers.values()), events: [] };
  }

  /** Writes the held events, in order, to the sockets still open that they were for. */
  releaseEvents(): void {
    const events = this.held?.events ?? [];
    this.held = undefined;
    for (const { ws, data } of events) if (ws.readyState === WebSocket.OPEN) ws.send(data);
  }

  setRefusing(on: boolean): void {
    this.refusing = on;
  }

  /** Cut every events socket at once, as a network drop would; no close handshake to wait for. */
  /**
   * Stops reading from every open event socket: it stays open but answers no ping, like a peer
   * behind a NAT that forgot the connection. ws has no public switch for its automatic pongs, so
   * the underlying TCP socket is paused.
   */
  silenceSockets(): void {
    for (const ws of this.wss.clients) (ws as unknown as { _socket?: { pause(): void } })._socket?.pause();
  }

  dropSockets(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.refusing = true;
    this.dropSockets();
    return new Promise<void>((resolve, reject) => {
      this.wss.close();
      this.httpServer.close((err) => (err ? reject(new Error('ARI simulator HTTP server did not close cleanly', { cause: err })) : resolve()));
      this.httpServer.closeAllConnections();
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const record: RecordedRequest = { t: performance.now(), method: req.method ?? 'GET', path: url.pathname, query: queryOf(url), credentials: credentialsOf(req, url), userAgent: req.headers['user-agent'] ?? '' };
    this.handlers.requested(record);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      this.answer(req, url, record, Buffer.concat(chunks).toString('utf8'))
        .then((result) => write(res, record, result, this.handlers.serverVersion))
        .catch((err: unknown) => write(res, record, { status: 500, body: { message: describe(err) } }, this.handlers.serverVersion));
    });
    req.on('error', () => res.destroy());
  }

  private async answer(req: http.IncomingMessage, url: URL, record: RecordedRequest, rawBody: string): Promise<RestResult> {
    if (this.refusing) return { status: 503, body: { message: 'Service Unavailable' } };
    if (!url.pathname.startsWith('/ari/')) return { status: 404, body: { message: 'Resource not found' } };
    if (!this.authorized(req, url)) {
      return { status: 401, body: { message: 'Authentication required' }, headers: { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' } };
    }
    const params: Record<string, string> = { ...record.query };
    if (rawBody.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawBody);
      } catch {
        return { status: 400, body: { message: 'Error parsing request body' } };
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        // Asterisk reads each parameter from the JSON body too, after the query string.
        const fields: Record<string, string> = {};
        for (const [key, value] of Object.entries(parsed)) {
          if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = String(value);
          else if (Array.isArray(value)) fields[key] = value.map(String).join(',');
          // An object (channel `variables`) goes on as JSON text for the operation to read.
          else if (value !== null && typeof value === 'object') fields[key] = JSON.stringify(value);
        }
        record.body = fields;
        Object.assign(params, fields);
      }
    }
    return this.handlers.rest(record.method, url.pathname.slice('/ari'.length), params, req.headers.host ?? `${LOOPBACK}:${this.port}`);
  }

  private authorized(req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    let pair: string | undefined;
    if (header !== undefined && header.startsWith('Basic ')) pair = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    else pair = url.searchParams.get('api_key') ?? undefined;
    if (pair === undefined) return false;
    const colon = pair.indexOf(':');
    return colon >= 0 && pair.slice(0, colon) === this.handlers.username && pair.slice(colon + 1) === this.handlers.password;
  }

  // ---- WebSocket -------------------------------------------------------------------------

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const record: RecordedRequest = { t: performance.now(), method: req.method ?? 'GET', path: url.pathname, query: queryOf(url), credentials: credentialsOf(req, url), userAgent: req.headers['user-agent'] ?? '' };
    this.handlers.requested(record);
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, text: string, message: string): void => {
      record.status = status;
      const body = JSON.stringify({ message });
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    if (this.refusing) return refuse(503, 'Service Unavailable', 'Service Unavailable');
    if (url.pathname !== '/ari/events') return refuse(404, 'Not Found', 'Resource not found');
    if (!this.authorized(req, url)) return refuse(401, 'Unauthorized', 'Authentication required');
    const apps = (record.query['app'] ?? '').split(',').filter((a) => a !== '');
    if (apps.length === 0) return refuse(400, 'Bad Request', "Missing parameter 'app'");
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      record.status = 101;
      this.attach(ws, apps);
    });
  }

  private attach(ws: WebSocket, apps: readonly string[]): void {
    for (const app of apps) {
      const previous = this.subscribers.get(app);
      if (previous !== undefined && previous.readyState === WebSocket.OPEN) {
        // Asterisk tells the old connection it lost the app; it stays open but gets nothing more.
        const replaced: ApplicationReplacedEvent = { type: 'ApplicationReplaced', timestamp: asteriskTime(), asterisk_id: ASTERISK_ID, application: app };
        previous.send(JSON.stringify(replaced));
      }
      this.subscribers.set(app, ws);
      this.handlers.appConnected(app);
    }
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      for (const app of apps) {
        if (this.subscribers.get(app) === ws) this.subscribers.delete(app);
        // After close() the simulator has already forgotten this server's sockets.
        if (!this.closed) this.handlers.appDisconnected(app);
      }
    });
  }
}

function credentialsOf(req: http.IncomingMessage, url: URL): RecordedRequest['credentials'] {
  if (req.headers.authorization !== undefined) return 'header';
  return url.searchParams.has('api_key') ? 'api_key' : 'none';
}

function queryOf(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    if (key !== 'api_key') query[key] = url.searchParams.getAll(key).join(',');
  }
  return query;
}

function write(res: http.ServerResponse, record: RecordedRequest, result: RestResult, serverVersion: string): void {
  record.status = result.status;
  const headers: Record<string, string | number> = { Server: `Asterisk/${serverVersion}`, ...result.headers };
  if (result.body === undefined) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  if (Buffer.isBuffer(result.body)) {
    // A stored recording's file: its bytes, with the content type the handler set.
    res.writeHead(result.status, { ...headers, 'Content-Length': result.body.length });
    res.end(result.body);
    return;
  }
  const data = JSON.stringify(result.body);
  res.writeHead(result.status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

/** The whole cause chain, so a simulator bug shows up in the 500's message. */
function describe(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current !== undefined && parts.length < 5) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join(' <- ');
}
