import http from 'node:http';
import https from 'node:https';
import { BehaviorSubject, Observable, Subject, distinctUntilChanged } from 'rxjs';
import type { Logger } from '../config/logger';
import { AriEventSocket, peekEventType, readAriEvent } from './ari-event-socket';
import {
  type AriConnectionState, type AriEvent, type AriPort, type BridgeSnapshot, type ChannelSnapshot, type ChannelState,
  type OriginateRequest, AriRequestError,
} from './ari-port';
import { AriRest, type QueryValue } from './ari-rest';
import { afterRequestsWritten } from './request-first';

export interface AriAdapterOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  logger: Logger;
  requestTimeoutMs?: number;
  keepaliveMs?: number;
  /** Reconnect backoff: first delay and cap; it never gives up. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/**
 * ARI behind the AriPort: REST through AriRest (keep-alive HTTP), events through AriEventSocket
 * (one WebSocket, one event stream). What a long-running ARI app needs from its connection:
 * - credentials checked with a plain GET /ari/asterisk/info first, so a wrong password is reported
 *   as such (and retried slowly) instead of as a failed upgrade;
 * - reconnect with capped backoff, forever; calls in progress are re-read by the engine on
 *   `connected` (see reconcile.ts);
 * - keepalive: the socket is pinged, and dropped when pongs stop, which starts a reconnect;
 * - every request has a timeout, and 404 on hangup/destroy/stop (Asterisk's own teardown won the
 *   race) counts as done.
 * ari-client 2.2.0 did this job before; why it no longer does: README.md, "ARI client".
 */
export class AriAdapter implements AriPort {
  private readonly eventSubject = new Subject<AriEvent>();
  private readonly state = new BehaviorSubject<AriConnectionState>('connecting');
  private socket?: AriEventSocket;
  private closed = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private lastPong = 0;
  private readonly timeoutMs: number;
  private readonly rest: AriRest;
  /** Event messages received but not yet parsed and handed to the engine (see deliver). */
  private readonly backlog: Buffer[] = [];
  private delivering = false;

  readonly events: Observable<AriEvent> = this.eventSubject.asObservable();
  readonly connection: Observable<AriConnectionState> = this.state.pipe(distinctUntilChanged());

  constructor(private readonly options: AriAdapterOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
    this.rest = new AriRest(options.url, options.username, options.password, this.timeoutMs);
  }

  isConnected(): boolean {
    return this.state.value === 'connected';
  }

  /** Starts connecting in the background; resolves once the first attempt has finished either way. */
  async start(): Promise<void> {
    await this.connectOnce();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.dropSocket();
    this.rest.close();
    this.state.next('disconnected');
    this.state.complete();
    this.eventSubject.complete();
  }

  // ---- REST -------------------------------------------------------------------------------

  async originate(r: OriginateRequest): Promise<void> {
    await this.request('originate', 'POST', '/channels', {
      channelId: r.channelId, endpoint: r.endpoint, app: r.app, appArgs: r.appArgs, timeout: r.timeoutS,
      callerId: r.callerId,
    });
  }

  async createChannel(r: Omit<OriginateRequest, 'timeoutS' | 'callerId'>): Promise<void> {
    await this.request('create channel', 'POST', '/channels/create', {
      channelId: r.channelId, endpoint: r.endpoint, app: r.app, appArgs: r.appArgs,
    });
  }

  async dial(channelId: string, timeoutS: number, callerChannelId?: string): Promise<void> {
    await this.request('dial', 'POST', `/channels/${enc(channelId)}/dial`, { timeout: timeoutS, caller: callerChannelId });
  }

  hangup(channelId: string): Promise<void> {
    return this.requestUntilGone('hangup', 'DELETE', `/channels/${enc(channelId)}`);
  }

  async createBridge(bridgeId: string, name: string): Promise<void> {
    await this.request('create bridge', 'POST', '/bridges', { bridgeId, type: 'mixing', name });
  }

  async addToBridge(bridgeId: string, channelId: string): Promise<void> {
    await this.request('add to bridge', 'POST', `/bridges/${enc(bridgeId)}/addChannel`, { channel: channelId });
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.requestUntilGone('destroy bridge', 'DELETE', `/bridges/${enc(bridgeId)}`);
  }

  async play(channelId: string, playbackId: string, media: string): Promise<void> {
    await this.request('play', 'POST', `/channels/${enc(channelId)}/play`, { media, playbackId });
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.requestUntilGone('stop playback', 'DELETE', `/playbacks/${enc(playbackId)}`);
  }

  async getChannel(channelId: string): Promise<ChannelSnapshot | null> {
    try {
      return toChannel(await this.request<RawChannel>('get channel', 'GET', `/channels/${enc(channelId)}`));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async listChannels(): Promise<ChannelSnapshot[]> {
    return (await this.request<RawChannel[]>('list channels', 'GET', '/channels')).map(toChannel);
  }

  async getBridge(bridgeId: string): Promise<BridgeSnapshot | null> {
    try {
      const b = await this.request<RawBridge>('get bridge', 'GET', `/bridges/${enc(bridgeId)}`);
      return { id: b.id, channelIds: [...b.channels] };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async listBridges(): Promise<BridgeSnapshot[]> {
    return (await this.request<RawBridge[]>('list bridges', 'GET', '/bridges')).map((b) => ({ id: b.id, channelIds: [...b.channels] }));
  }

  private async request<T = unknown>(name: string, method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, QueryValue>): Promise<T> {
    if (!this.isConnected()) throw new AriRequestError(name, 'ARI is not connected');
    return this.rest.call<T>(name, method, path, query);
  }

  private async requestUntilGone(name: string, method: 'DELETE', path: string): Promise<void> {
    try {
      await this.request(name, method, path);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  // ---- connection ----------------------------------------------------------------------------

  private async connectOnce(): Promise<void> {
    if (this.closed) return;
    this.state.next('connecting');
    const { url, username, password, app, logger } = this.options;
    try {
      const version = await this.checkCredentials();
      const socket = await AriEventSocket.open({ url, username, password, app, openTimeoutMs: this.timeoutMs * 2 }, {
        onMessage: (data) => this.receive(data),
        onBadMessage: (reason) => this.unreadable(reason),
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
      this.state.next('connected');
      logger.info('ARI connected', { url, app, asterisk: version });
    } catch (err) {
      logger.warn('ARI unavailable; retrying', { url, attempt: this.attempt + 1, err });
      this.state.next('disconnected');
      this.scheduleReconnect();
    }
  }

  private onSocketClosed(socket: AriEventSocket, code: number): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    clearInterval(this.keepaliveTimer);
    if (this.closed) return;
    this.options.logger.warn('ARI event WebSocket closed; reconnecting', { code });
    this.state.next('disconnected');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const min = this.options.reconnectMinMs ?? 500;
    const max = this.options.reconnectMaxMs ?? 30_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    this.attempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connectOnce(), delay);
  }

  /** GET /ari/asterisk/info with the same credentials; resolves to Asterisk's version when it says one. */
  private async checkCredentials(): Promise<string | undefined> {
    const { url, username, password } = this.options;
    let answer: { status: number; body: string };
    try {
      answer = await getOnce(`${url}/ari/asterisk/info`, `${username}:${password}`, this.timeoutMs);
    } catch (err) {
      throw new Error(`Asterisk HTTP server unreachable at ${url}`, { cause: err });
    }
    if (answer.status === 401) throw new Error('ARI rejected the username or password (check ARI_USERNAME / ARI_PASSWORD and ari.conf)');
    if (answer.status < 200 || answer.status >= 300) throw new Error(`ARI answered ${answer.status} to GET /ari/asterisk/info`);
    try {
      const version = (JSON.parse(answer.body) as { system?: { version?: unknown } }).system?.version;
      return typeof version === 'string' ? version : undefined;
    } catch {
      return undefined;
    }
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

  private receive(data: Buffer): void {
    this.backlog.push(data);
    if (!this.delivering) this.deliver();
  }

  /**
   * Hands the backlog to the engine in order. Once an event has made the engine send a request,
   * the events after it wait until that request is written (request-first.ts): Asterisk sends a
   * leg's ChannelStateChange, Dial and StasisStart together, and ws hands them over in one turn.
   * Events that ask for nothing cost no wait.
   */
  private readonly deliver = (): void => {
    this.delivering = true;
    try {
      for (let data = this.backlog.shift(); data !== undefined; data = this.backlog.shift()) {
        const type = peekEventType(data);
        if (type !== undefined && !READ_EVENTS.has(type)) continue;
        const before = this.rest.requests.started;
        const read = readAriEvent(data);
        if ('event' in read) this.onRawEvent(read.event);
        else this.unreadable(read.unreadable);
        if (this.rest.requests.started !== before) {
          afterRequestsWritten(this.deliver);
          return;
        }
      }
      this.delivering = false;
    } catch (err) {
      this.delivering = false;
      throw err;
    }
  };

  private unreadable(reason: string): void {
    this.options.logger.warn('ARI sent an unreadable event; ignored', { reason });
  }

  private onRawEvent(raw: unknown): void {
    const event = toAriEvent(raw);
    if (event) this.eventSubject.next(event);
    else if ((raw as RawEvent).type === 'ApplicationReplaced') {
      // Another client subscribed to our app name: Asterisk now sends it our events, not us.
      this.options.logger.error('another ARI client took over the Stasis app; this instance receives no more events', { app: this.options.app });
    }
  }
}

interface RawEvent {
  type?: string;
  channel?: { id?: string; state?: string };
  peer?: { id?: string };
  args?: string[];
  dialstatus?: string;
  cause?: number;
  cause_txt?: string;
  soft?: boolean;
  digit?: string;
}

/**
 * The event types the adapter reads; the rest (ChannelVarset alone is 20 of a call's ~50 events)
 * are dropped before JSON.parse when their type can be seen in the raw text.
 */
const READ_EVENTS: ReadonlySet<string> = new Set([
  'StasisStart', 'StasisEnd', 'ChannelStateChange', 'Dial', 'ChannelHangupRequest', 'ChannelDestroyed', 'ChannelDtmfReceived',
  'ApplicationReplaced',
]);

/** Keeps only the events and fields the engine reads. */
export function toAriEvent(raw: unknown): AriEvent | undefined {
  const e = raw as RawEvent;
  const channelId = e.channel?.id;
  switch (e.type) {
    case 'StasisStart':
      return channelId ? { type: 'StasisStart', channelId, channelState: (e.channel?.state ?? 'Unknown') as ChannelState, args: e.args ?? [] } : undefined;
    case 'StasisEnd':
      return channelId ? { type: 'StasisEnd', channelId } : undefined;
    case 'ChannelStateChange':
      return channelId ? { type: 'ChannelStateChange', channelId, channelState: (e.channel?.state ?? 'Unknown') as ChannelState } : undefined;
    case 'Dial':
      return e.peer?.id ? { type: 'Dial', channelId: e.peer.id, dialstatus: e.dialstatus ?? '' } : undefined;
    case 'ChannelHangupRequest':
      return channelId ? { type: 'ChannelHangupRequest', channelId, cause: e.cause ?? null, soft: e.soft === true } : undefined;
    case 'ChannelDestroyed':
      return channelId ? { type: 'ChannelDestroyed', channelId, cause: e.cause ?? null, causeText: e.cause_txt ?? null } : undefined;
    case 'ChannelDtmfReceived':
      return channelId && e.digit ? { type: 'ChannelDtmfReceived', channelId, digit: e.digit } : undefined;
    default:
      return undefined;
  }
}

interface RawChannel { id: string; state: string; dialplan?: { app_name?: string; app_data?: string } }
interface RawBridge { id: string; channels: string[] }

function toChannel(c: RawChannel): ChannelSnapshot {
  return { id: c.id, state: c.state as ChannelState, appName: c.dialplan?.app_name ?? '', appData: c.dialplan?.app_data ?? '' };
}

function isNotFound(err: unknown): boolean {
  return err instanceof AriRequestError && err.status === 404;
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

/** One plain GET with basic auth and no connection reuse: nothing of it outlives the answer. */
function getOnce(target: string, auth: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const url = new URL(target);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', auth, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
