import { BehaviorSubject, type Observable, distinctUntilChanged } from 'rxjs';
import type { Logger } from '../config/logger';
import { RetryLog, cappedBackoffMs } from '../config/retry-log';
import { AriEventSocket } from './ari-event-socket';
import { type AriConnectionState, AriRequestError } from './ari-port';
import type { AriRest } from './ari-rest';

export interface AriConnectionOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  logger: Logger;
  timeoutMs: number;
  keepaliveMs?: number;
  /** Reconnect backoff: first delay and cap; it never gives up. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * Asked before each WebSocket is opened (cluster mode: while this instance owns the server). A
   * socket under the app's name takes the app's events from whichever socket had them, so one
   * opened by an instance that lost its lease would take them from the new owner.
   */
  mayConnect?: () => boolean;
  userAgent?: string;
}

export interface AriConnectionHandlers {
  onMessage(data: Buffer): void;
  onBadMessage(reason: string): void;
}

/**
 * The life of the event connection, what a long-running ARI app needs from it:
 * - credentials checked with a GET /ari/asterisk/info first, so a wrong password is reported
 *   as such (and retried slowly) instead of as a failed upgrade;
 * - reconnect with capped backoff, forever; calls in progress are re-read by the engine on
 *   `connected` (see reconcile.ts);
 * - keepalive: the socket is pinged, and dropped when pongs stop, which starts a reconnect.
 */
export class AriConnection {
  private readonly current = new BehaviorSubject<AriConnectionState>('connecting');
  private socket?: AriEventSocket;
  private closed = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private lastPong = 0;
  private readonly timeoutMs: number;
  private readonly retries: RetryLog;

  /** Replays the current state to new subscribers. */
  readonly state: Observable<AriConnectionState> = this.current.pipe(distinctUntilChanged());

  /** `rest`: the app's one HTTP client, also used to check the credentials before each connect. */
  constructor(private readonly options: AriConnectionOptions, private readonly rest: AriRest, private readonly handlers: AriConnectionHandlers) {
    this.timeoutMs = options.timeoutMs;
    this.retries = new RetryLog(options.logger, { failing: 'ARI unavailable; retrying', recovered: 'ARI reachable again' });
  }

  isConnected(): boolean {
    return this.current.value === 'connected';
  }

  start(): Promise<void> {
    return this.connectOnce();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.dropSocket();
    this.current.next('disconnected');
    this.current.complete();
  }

  private async connectOnce(): Promise<void> {
    if (this.closed) return;
    this.current.next('connecting');
    const { url, username, password, app, logger } = this.options;
    try {
      const version = await this.checkCredentials();
      if (this.options.mayConnect && !this.options.mayConnect()) {
        this.close();
        return;
      }
      const socket = await AriEventSocket.open({ url, username, password, app, openTimeoutMs: this.timeoutMs * 2, ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}) }, {
        onMessage: (data) => this.handlers.onMessage(data),
        onBadMessage: (reason) => this.handlers.onBadMessage(reason),
        onPong: () => { this.lastPong = Date.now(); },
        onClose: (closed, code) => this.onSocketClosed(closed, code),
      });
      if (this.closed) {
        socket.terminate();
        return;
      }
      this.socket = socket;
      this.attempt = 0;
      this.lastPong = Date.now();
      this.startKeepalive();
      this.current.next('connected');
      this.retries.succeeded({ url });
      logger.info('ARI connected', { url, app, asterisk: version });
    } catch (err) {
      this.retries.failed(err, { url });
      this.current.next('disconnected');
      this.scheduleReconnect();
    }
  }

  private onSocketClosed(socket: AriEventSocket, code: number): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    clearInterval(this.keepaliveTimer);
    if (this.closed) return;
    this.options.logger.warn('ARI event WebSocket closed; reconnecting', { code });
    this.current.next('disconnected');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const min = this.options.reconnectMinMs ?? 500;
    const max = this.options.reconnectMaxMs ?? 30_000;
    const delay = cappedBackoffMs(this.attempt, min, max);
    this.attempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connectOnce(), delay);
  }

  /** GET /ari/asterisk/info with the same credentials; resolves to Asterisk's version when it says one. */
  private async checkCredentials(): Promise<string | undefined> {
    const { url } = this.options;
    let info: { system?: { version?: unknown } } | undefined;
    try {
      info = await this.rest.call<{ system?: { version?: unknown } }>('asterisk info', 'GET', '/asterisk/info');
    } catch (err) {
      const status = err instanceof AriRequestError ? err.status : undefined;
      if (status === 401) throw new Error('ARI rejected the username or password (check ARI_USERNAME / ARI_PASSWORD and ari.conf)');
      if (status !== undefined) throw new Error(`ARI answered ${status} to GET /ari/asterisk/info`);
      throw new Error(`Asterisk HTTP server unreachable at ${url}`, { cause: err });
    }
    const version = typeof info === 'object' ? info.system?.version : undefined;
    return typeof version === 'string' ? version : undefined;
  }

  private startKeepalive(): void {
    clearInterval(this.keepaliveTimer);
    const every = this.options.keepaliveMs ?? 10_000;
    this.keepaliveTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (Date.now() - this.lastPong > every * 2.5) {
        this.options.logger.warn('ARI WebSocket silent; forcing a reconnect');
        socket.terminate();
        return;
      }
      socket.ping();
    }, every);
  }

  private dropSocket(): void {
    clearInterval(this.keepaliveTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.terminate();
  }
}
