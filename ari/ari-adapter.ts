import { Observable, Subject } from 'rxjs';
import type { Logger } from '../config/logger';
import { AriConnection } from './ari-connection';
import { READ_EVENTS, peekEventType, readAriEvent, toAriEvent } from './ari-events';
import {
  type AriConnectionState, type AriEvent, type AriPort, type BridgeSnapshot, type ChannelSnapshot, type ChannelState,
  type CreateChannelRequest, type OriginateRequest, type SnoopRequest, AriRequestError,
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
  /** The User-Agent of its requests; default `callbot`. */
  userAgent?: string;
  /** Asked before each WebSocket is opened; false stops the adapter for good (see AriConnectionOptions). */
  mayConnect?: () => boolean;
}

/**
 * ARI behind the AriPort: REST through AriRest (keep-alive HTTP), events from the connection
 * (ari-connection.ts) read by ari-events.ts and handed over request-first. Every request has a
 * timeout, and 404 on hangup/destroy/stop (Asterisk's own teardown won the race) counts as done.
 * ari-client 2.2.0 did this job before; why it no longer does: docs/why-not-ari-client.md.
 */
export class AriAdapter implements AriPort {
  private readonly eventSubject = new Subject<AriEvent>();
  private readonly link: AriConnection;
  private readonly rest: AriRest;
  /** Event messages received but not yet parsed and handed to the engine (see deliver). */
  private readonly backlog: Buffer[] = [];
  private delivering = false;

  readonly events: Observable<AriEvent> = this.eventSubject.asObservable();
  readonly connection: Observable<AriConnectionState>;

  constructor(private readonly options: AriAdapterOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 5000;
    this.rest = new AriRest(options.url, options.username, options.password, timeoutMs, undefined, options.userAgent);
    this.link = new AriConnection({ ...options, timeoutMs }, this.rest, {
      onMessage: (data) => this.receive(data),
      onBadMessage: (reason) => this.unreadable(reason),
    });
    this.connection = this.link.state;
  }

  isConnected(): boolean {
    return this.link.isConnected();
  }

  /** Starts connecting in the background; resolves once the first attempt has finished either way. */
  start(): Promise<void> {
    return this.link.start();
  }

  async close(): Promise<void> {
    this.link.close();
    this.rest.close();
    this.eventSubject.complete();
  }

  // ---- REST -------------------------------------------------------------------------------

  async originate(r: OriginateRequest): Promise<void> {
    await this.request('originate', 'POST', '/channels', {
      channelId: r.channelId, endpoint: r.endpoint, app: r.app, appArgs: r.appArgs, timeout: r.timeoutS,
      callerId: r.callerId,
    });
  }

  async createChannel(r: CreateChannelRequest): Promise<void> {
    await this.request('create channel', 'POST', '/channels/create', {
      channelId: r.channelId, endpoint: r.endpoint, app: r.app, appArgs: r.appArgs,
    }, r.variables ? { variables: r.variables } : undefined);
  }

  async dial(channelId: string, timeoutS: number, callerChannelId?: string): Promise<void> {
    await this.request('dial', 'POST', `/channels/${enc(channelId)}/dial`, { timeout: timeoutS, caller: callerChannelId });
  }

  async snoop(r: SnoopRequest): Promise<void> {
    await this.request('snoop', 'POST', `/channels/${enc(r.channelId)}/snoop`, {
      spy: r.spy, whisper: r.whisper, app: r.app, appArgs: r.appArgs, snoopId: r.snoopId,
    });
  }

  hangup(channelId: string): Promise<void> {
    return this.requestUntilGone('hangup', 'DELETE', `/channels/${enc(channelId)}`);
  }

  async ring(channelId: string): Promise<void> {
    await this.request('ring', 'POST', `/channels/${enc(channelId)}/ring`);
  }

  async answer(channelId: string): Promise<void> {
    await this.request('answer', 'POST', `/channels/${enc(channelId)}/answer`);
  }

  async reject(channelId: string): Promise<void> {
    try {
      await this.request('reject', 'DELETE', `/channels/${enc(channelId)}`, { reason: 'rejected' });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  async createBridge(bridgeId: string, name: string): Promise<void> {
    await this.request('create bridge', 'POST', '/bridges', { bridgeId, type: 'mixing', name });
  }

  async addToBridge(bridgeId: string, channelId: string): Promise<void> {
    await this.request('add to bridge', 'POST', `/bridges/${enc(bridgeId)}/addChannel`, { channel: channelId });
  }

  /** One request: Asterisk's addChannel takes a Stasis channel out of the bridge it is in first. */
  async moveToBridge(channelId: string, _fromBridgeId: string, toBridgeId: string): Promise<void> {
    await this.request('move to bridge', 'POST', `/bridges/${enc(toBridgeId)}/addChannel`, { channel: channelId });
  }

  async startBridgeMoh(bridgeId: string, mohClass: string): Promise<void> {
    await this.request('start music on hold', 'POST', `/bridges/${enc(bridgeId)}/moh`, { mohClass });
  }

  async stopBridgeMoh(bridgeId: string): Promise<void> {
    try {
      await this.request('stop music on hold', 'DELETE', `/bridges/${enc(bridgeId)}/moh`);
    } catch (err) {
      // 409: the bridge plays no music (it never started, or stopped); 404: the bridge is gone, and its music with it.
      if (err instanceof AriRequestError && (err.status === 404 || err.status === 409)) return;
      throw err;
    }
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.requestUntilGone('destroy bridge', 'DELETE', `/bridges/${enc(bridgeId)}`);
  }

  async play(channelId: string, playbackId: string, media: string): Promise<void> {
    await this.request('play', 'POST', `/channels/${enc(channelId)}/play`, { media, playbackId });
  }

  async playOnBridge(bridgeId: string, playbackId: string, media: string): Promise<void> {
    await this.request('play to bridge', 'POST', `/bridges/${enc(bridgeId)}/play`, { media, playbackId });
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.requestUntilGone('stop playback', 'DELETE', `/playbacks/${enc(playbackId)}`);
  }

  async recordBridge(bridgeId: string, name: string): Promise<void> {
    await this.request('record', 'POST', `/bridges/${enc(bridgeId)}/record`, { name, format: 'wav' });
  }

  async pauseRecording(name: string): Promise<void> {
    await this.request('pause recording', 'POST', `/recordings/live/${enc(name)}/pause`);
  }

  async unpauseRecording(name: string): Promise<void> {
    await this.request('resume recording', 'DELETE', `/recordings/live/${enc(name)}/pause`);
  }

  stopRecording(name: string): Promise<void> {
    return this.requestUntilGone('stop recording', 'POST', `/recordings/live/${enc(name)}/stop`);
  }

  async fetchStoredRecording(name: string): Promise<Buffer> {
    if (!this.isConnected()) throw new AriRequestError('fetch recording', 'ARI is not connected');
    return this.rest.file('fetch recording', `/recordings/stored/${enc(name)}/file`);
  }

  deleteStoredRecording(name: string): Promise<void> {
    return this.requestUntilGone('delete recording', 'DELETE', `/recordings/stored/${enc(name)}`);
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

  private async request<T = unknown>(name: string, method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, QueryValue>, body?: unknown): Promise<T> {
    if (!this.isConnected()) throw new AriRequestError(name, 'ARI is not connected');
    return this.rest.call<T>(name, method, path, query, body);
  }

  private async requestUntilGone(name: string, method: 'DELETE' | 'POST', path: string): Promise<void> {
    try {
      await this.request(name, method, path);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
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

  private onRawEvent(raw: Record<string, unknown>): void {
    const event = toAriEvent(raw);
    if (event) this.eventSubject.next(event);
    else if (raw['type'] === 'ApplicationReplaced') {
      // Another client subscribed to our app name: Asterisk now sends it our events, not us.
      this.options.logger.error('another ARI client took over the Stasis app; this instance receives no more events', { app: this.options.app });
    }
  }
}

interface RawChannel { id: string; state: string; caller?: { number?: string }; dialplan?: { app_name?: string; app_data?: string } }
interface RawBridge { id: string; channels: string[] }

function toChannel(c: RawChannel): ChannelSnapshot {
  return {
    id: c.id, state: c.state as ChannelState, appName: c.dialplan?.app_name ?? '', appData: c.dialplan?.app_data ?? '',
    ...(c.caller?.number ? { callerNumber: c.caller.number } : {}),
  };
}

function isNotFound(err: unknown): boolean {
  return err instanceof AriRequestError && err.status === 404;
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
