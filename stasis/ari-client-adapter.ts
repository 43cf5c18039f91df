import http from 'node:http';
import https from 'node:https';
import ari, { type AriClient } from 'ari-client';
import { BehaviorSubject, Observable, Subject, distinctUntilChanged } from 'rxjs';
import type { Logger } from '../config/logger';
import {
  type AriConnectionState, type AriEvent, type AriPort, type BridgeSnapshot, type ChannelSnapshot, type ChannelState,
  type OriginateRequest, AriRequestError,
} from './ari-port';
import { AriRest, type QueryValue } from './ari-rest';

/**
 * swagger-client (inside ari-client) logs through an implicit global `log` that prints a deprecation
 * warning to stdout on every connect and keeps every message it ever logged in `log.history`.
 * Replacing that global once silences the noise and the leak; our own logger reports connects.
 */
const swaggerGlobals = globalThis as unknown as { log?: unknown };
if (typeof swaggerGlobals.log === 'function') swaggerGlobals.log = () => undefined;

export interface AriClientAdapterOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  logger: Logger;
  requestTimeoutMs?: number;
  keepaliveMs?: number;
  /** Our own reconnect: first delay and cap; it never gives up. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/**
 * ARI behind the AriPort. ari-client 2.2.0 loads the API documents and carries the event
 * WebSocket; REST calls go through AriRest (see there why). ari-client's known defects are
 * defended against:
 * - bad credentials at connect throw an uncatchable error: a plain GET /ari/asterisk/info with the
 *   same credentials goes first, and only a 2xx lets `connect` run.
 * - per-instance listeners leak: one global `*` listener feeds one event stream.
 * - its reconnect gives up after about a minute: when it does, a fresh client is built, with capped
 *   backoff, forever; a socket it opens after being disposed of is closed at once.
 * - no keepalive: the socket is pinged and terminated when pongs stop, which starts a reconnect.
 * - its swagger logger prints on every connect and keeps every line (see below).
 * Every request has a timeout, and 404 on hangup/destroy/stop (Asterisk's own teardown won the
 * race) counts as done.
 */
export class AriClientAdapter implements AriPort {
  private readonly eventSubject = new Subject<AriEvent>();
  private readonly state = new BehaviorSubject<AriConnectionState>('connecting');
  private client?: AriClient;
  private closed = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private lastPong = 0;
  private readonly timeoutMs: number;
  private readonly rest: AriRest;

  readonly events: Observable<AriEvent> = this.eventSubject.asObservable();
  readonly connection: Observable<AriConnectionState> = this.state.pipe(distinctUntilChanged());

  constructor(private readonly options: AriClientAdapterOptions) {
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
    this.disposeClient();
    this.rest.close();
    this.state.next('disconnected');
    this.state.complete();
    this.eventSubject.complete();
  }

  // ---- REST -------------------------------------------------------------------------------

  async originate(r: OriginateRequest): Promise<void> {
    await this.request('originate', 'POST', '/channels', {
      channelId: r.channelId, endpoint: r.endpoint, app: r.app, appArgs: r.appArgs, timeout: r.timeoutS,
      callerId: r.callerId, originator: r.originatorId,
    });
  }

  async createChannel(r: Omit<OriginateRequest, 'timeoutS' | 'callerId'>): Promise<void> {
    await this.request('create channel', 'POST', '/channels/create', {
      channelId: r.channelId, endpoint: r.endpoint, app: r.app, appArgs: r.appArgs, originator: r.originatorId,
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
    if (!this.client || !this.isConnected()) throw new AriRequestError(name, 'ARI is not connected');
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
      await this.checkCredentials();
      const client = await withTimeout(ari.connect(url, username, password), this.timeoutMs * 2, 'ARI connect');
      if (this.closed) return;
      this.client = client;
      client.on('*', (raw: unknown) => this.onRawEvent(raw));
      client.on('WebSocketConnected', () => this.onSocketUp());
      client.on('WebSocketReconnecting', () => this.state.next('disconnected'));
      client.on('WebSocketMaxRetries', () => {
        logger.warn('ari-client gave up reconnecting; building a new client');
        this.disposeClient();
        this.scheduleReconnect();
      });
      client.on('pong', () => { this.lastPong = Date.now(); });
      await withTimeout(client.start(app), this.timeoutMs * 2, 'ARI WebSocket');
      // Closed (or replaced) while the socket was opening: leave it to the dispose that did it.
      if (this.closed || this.client !== client) return;
      this.onSocketUp();
      logger.info('ARI connected', { url, app });
    } catch (err) {
      logger.warn('ARI unavailable; retrying', { url, attempt: this.attempt + 1, err });
      this.disposeClient();
      this.state.next('disconnected');
      this.scheduleReconnect();
    }
  }

  private onSocketUp(): void {
    if (this.closed) return;
    this.attempt = 0;
    this.lastPong = Date.now();
    this.startKeepalive();
    this.state.next('connected');
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

  private async checkCredentials(): Promise<void> {
    const { url, username, password } = this.options;
    let status: number;
    try {
      status = await getStatus(`${url}/ari/asterisk/info`, `${username}:${password}`, this.timeoutMs);
    } catch (err) {
      throw new Error(`Asterisk HTTP server unreachable at ${url}`, { cause: err });
    }
    if (status === 401) throw new Error('ARI rejected the username or password (check ARI_USERNAME / ARI_PASSWORD and ari.conf)');
    if (status < 200 || status >= 300) throw new Error(`ARI answered ${status} to GET /ari/asterisk/info`);
  }

  private startKeepalive(): void {
    clearInterval(this.keepaliveTimer);
    const every = this.options.keepaliveMs ?? 10_000;
    this.keepaliveTimer = setInterval(() => {
      const client = this.client;
      if (!client) return;
      if (Date.now() - this.lastPong > every * 2.5) {
        this.options.logger.warn('ARI WebSocket silent; forcing a reconnect');
        this.lastPong = Date.now();
        terminateSocket(client);
        return;
      }
      try {
        client.ping();
      } catch (err) {
        this.options.logger.debug('ARI ping failed', { err });
      }
    }, every);
  }

  private disposeClient(): void {
    clearInterval(this.keepaliveTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    // ari-client may still have a reconnect scheduled that would open a socket nobody listens to,
    // and a second socket for the app would take its events away from ours: close any that opens.
    client.on('WebSocketConnected', () => closeForGood(client));
    closeForGood(client);
  }

  private onRawEvent(raw: unknown): void {
    const event = toAriEvent(raw);
    if (event) this.eventSubject.next(event);
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

function closeForGood(client: AriClient): void {
  (client as unknown as { _wsClosed: boolean })._wsClosed = true;
  terminateSocket(client);
}

function terminateSocket(client: AriClient): void {
  const socket = (client as unknown as { _ws?: { terminate(): void } })._ws;
  socket?.terminate();
}

/** One plain GET with basic auth and no connection reuse: nothing of it outlives the answer. */
function getStatus(target: string, auth: string, timeoutMs: number): Promise<number> {
  const url = new URL(target);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', auth, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
