/**
 * AriSimulator: the control surface tests and benchmarks use. It wires the Asterisk model (core)
 * to the wire (server + rest), keeps the request and event logs, and plays the provider's part.
 */
import { performance } from 'node:perf_hooks';

import { AriCore, type SimBridgeSnapshot, type SimChannelSnapshot, type SimInvite } from './core';
import { FaultInjector, type FaultRule, type InjectedFault } from './faults';
import type { FarEndChooser } from './far-end';
import type { AriEvent } from './model';
import { RestApi } from './rest';
import { AriServer, type RecordedRequest } from './server';
import { versionProfile, type AsteriskVersion } from './versions';

export interface AriSimulatorOptions {
  username: string;
  password: string;
  /** The Asterisk whose wire the simulator shows (versions.ts); default 18.9-cert4. */
  asterisk?: AsteriskVersion;
  /** Applications registered from the start and active without a WebSocket (others register when a socket subscribes). */
  apps?: string[];
  /** How long a normal far end rings before answering; default 1000, like the lab provider. */
  ringMs?: number;
  /** Asterisk 18.9's Stasis wake-up period for a channel without media (~200); default 0 = no such delay. */
  stasisLoopMs?: number;
  /** Default 0: an ephemeral port. Always on 127.0.0.1. */
  port?: number;
  /**
   * Default true: keep every request and event for requests() and events(). The benchmark turns it
   * off and listens instead: each kept event outlives the young generation, which makes the
   * simulator's own GC pauses several milliseconds long, and the app would be charged for them.
   */
  keepLogs?: boolean;
  /** How long a `…0777` far end stays up after answering; default 3000. */
  hangupAfterMs?: number;
  /** When a `…0151` far end sends DTMF '1' after answering; default 300. */
  dtmfAfterMs?: number;
  /** How long a non-`tone:` media plays; default 1000. */
  playbackMs?: number;
  /** How long `…0183`'s and `…0184`'s early media plays before they answer or fail; default `ringMs`. */
  earlyMediaMs?: number;
}

export interface SentEvent {
  /** performance.now() when it was written to the socket. */
  t: number;
  app: string;
  event: AriEvent;
}

type Listener<T> = (value: T) => void;

interface Waiter {
  predicate: (e: SentEvent) => boolean;
  resolve: (e: SentEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class AriSimulator {
  private server: AriServer | undefined;
  private boundPort = 0;
  private readonly core: AriCore;
  private readonly rest: RestApi;
  private readonly requestLog: RecordedRequest[] = [];
  private readonly eventLog: SentEvent[] = [];
  private readonly requestListeners = new Set<Listener<RecordedRequest>>();
  private readonly eventListeners = new Set<Listener<SentEvent>>();
  private readonly waiters = new Set<Waiter>();
  private stopped = false;
  private readonly keepLogs: boolean;
  private readonly faults = new FaultInjector();

  private constructor(private readonly opts: AriSimulatorOptions) {
    this.keepLogs = opts.keepLogs ?? true;
    this.core = new AriCore(
      {
        ringMs: opts.ringMs ?? 1000,
        hangupAfterMs: opts.hangupAfterMs ?? 3000,
        dtmfAfterMs: opts.dtmfAfterMs ?? 300,
        earlyMediaMs: opts.earlyMediaMs,
        stasisLoopMs: opts.stasisLoopMs ?? 0,
        playbackMs: opts.playbackMs ?? 1000,
        apps: opts.apps ?? [],
        profile: versionProfile(opts.asterisk ?? '18.9'),
      },
      (app, event) => this.deliver(app, event),
    );
    this.rest = new RestApi(this.core);
  }

  static async start(opts: AriSimulatorOptions): Promise<AriSimulator> {
    const sim = new AriSimulator(opts);
    await sim.listen(opts.port ?? 0);
    return sim;
  }

  /** `http://127.0.0.1:<port>`: what ari.connect() takes. */
  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  /** The port chosen at start; restart() listens on it again. */
  get port(): number {
    return this.boundPort;
  }

  /** Choose each INVITE's far end; return undefined to fall back to the last-four-digits default. */
  setFarEnd(fn: FarEndChooser): void {
    this.core.setFarEnd(fn);
  }

  /** The provider sends BYE (cause 16 by default); before answer, a final failure with that cause. */
  farEndHangup(channelId: string, cause?: number): void {
    this.core.farEndHangup(channelId, cause);
  }

  /** A customer calls a number of ours: an inbound channel, ringing, handed to the app (see SimCore.callIn). */
  callIn(p: { channelId: string; endpoint: string; app: string; calledNumber: string; callerNumber: string }): void {
    this.core.callIn(p);
  }

  farEndDtmf(channelId: string, digit: string): void {
    this.core.farEndDtmf(channelId, digit);
  }

  channels(): SimChannelSnapshot[] {
    return this.core.channelSnapshots();
  }

  bridges(): SimBridgeSnapshot[] {
    return this.core.bridgeSnapshots();
  }

  requests(): RecordedRequest[] {
    return this.requestLog.slice();
  }

  /** Every INVITE sent to a provider (an originate, or the dial of a created channel), in order. */
  invites(): SimInvite[] {
    return this.core.invites.slice();
  }

  /** Fires as each request arrives (before it is handled); returns the unsubscribe function. */
  onRequest(listener: Listener<RecordedRequest>): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  /** Every event written to a socket (events nobody was connected for are lost, as in Asterisk). */
  events(): SentEvent[] {
    return this.eventLog.slice();
  }

  onEvent(listener: Listener<SentEvent>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Far-end, timeout and Stasis-loop timers still scheduled (0 after stop() or reset()). */
  get pendingTimers(): number {
    return this.core.pendingTimers;
  }

  /** The first sent event (already logged or still to come) that matches. */
  waitForEvent(predicate: (e: SentEvent) => boolean, timeoutMs = 5000): Promise<SentEvent> {
    const past = this.eventLog.find(predicate);
    if (past !== undefined) return Promise.resolve(past);
    return new Promise<SentEvent>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`ARI simulator: no matching event within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** TCP connections the HTTP server has accepted (REST and WebSocket). */
  connectionsAccepted(): number {
    return this.wire().connectionsAccepted;
  }

  /** Accepted TCP connections that have closed since, from either end. */
  connectionsClosed(): number {
    return this.wire().connectionsClosed;
  }

  dropWebSockets(): void {
    this.wire().dropSockets();
  }

  /** Writes `data` as it is to the app's event socket (to see how a client copes with a malformed message). */
  sendRaw(app: string, data: string): boolean {
    return this.wire().send(app, data);
  }

  /**
   * Events still happen in Asterisk (and in events()) but reach the app's sockets open now only at
   * releaseEvents(), in order: the app hears of them late, as under load (or never, if the socket
   * closes first). A socket opened meanwhile gets its events as they happen.
   */
  holdEvents(): void {
    this.wire().holdEvents();
  }

  releaseEvents(): void {
    this.wire().releaseEvents();
  }

  /** Open event sockets stay open but go silent: no pong to a ping (a dead path the client must detect). */
  silenceWebSockets(): void {
    this.wire().silenceSockets();
  }

  /**
   * From now on a share of matching requests is answered with an error (500 by default) and not
   * acted on; `clearFaults()` ends it. The same seed gives the same failures.
   */
  injectFaults(rules: readonly FaultRule[], seed?: number): void {
    this.faults.set(rules, seed);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Every request answered with an injected error so far. */
  injectedFaults(): InjectedFault[] {
    return this.faults.injected.slice();
  }

  /** While on, new WebSocket upgrades and HTTP requests are answered 503; open sockets stay. */
  refuseConnections(on: boolean): void {
    this.wire().setRefusing(on);
  }

  /** Forget the request and event logs only (a long benchmark would otherwise keep every event it ever sent). */
  clearLogs(): void {
    this.core.invites.length = 0;
    this.requestLog.length = 0;
    this.eventLog.length = 0;
  }

  /** Forget every channel, bridge, playback, timer and log; sockets stay connected. */
  reset(): void {
    this.core.reset();
    this.requestLog.length = 0;
    this.eventLog.length = 0;
  }

  /** Like an Asterisk restart: sockets cut, all state gone, then listening again on the same port. */
  async restart(): Promise<void> {
    await this.wire().close();
    this.core.forgetSockets();
    this.reset();
    await this.listen(this.boundPort);
  }

  /** Close everything and cancel every timer: nothing is left to keep the process alive. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.core.reset();
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('ARI simulator stopped'));
    }
    this.waiters.clear();
    await this.server?.close();
  }

  private async listen(port: number): Promise<void> {
    this.server = await AriServer.listen(port, {
      username: this.opts.username,
      password: this.opts.password,
      serverVersion: versionProfile(this.opts.asterisk ?? '18.9').systemVersion,
      rest: (method, pathname, params, host) => {
        const fault = this.faults.draw(method, pathname);
        if (fault !== undefined) return Promise.resolve({ status: fault, body: { message: 'Internal Server Error' } });
        return this.rest.handle(method, pathname, params, host);
      },
      requested: (r) => {
        if (this.keepLogs) this.requestLog.push(r);
        for (const listener of this.requestListeners) listener(r);
      },
      appConnected: (app) => this.core.appConnected(app),
      appDisconnected: (app) => this.core.appDisconnected(app),
    });
    this.boundPort = this.server.port;
  }

  private wire(): AriServer {
    if (this.server === undefined) throw new Error('ARI simulator is not listening');
    return this.server;
  }

  private deliver(app: string, event: AriEvent): void {
    // Serialised once; the log keeps the object, which nothing mutates after this.
    if (this.server === undefined || !this.server.send(app, JSON.stringify(event))) return;
    const sent: SentEvent = { t: performance.now(), app, event };
    if (this.keepLogs) this.eventLog.push(sent);
    for (const listener of this.eventListeners) listener(sent);
    for (const waiter of this.waiters) {
      if (waiter.predicate(sent)) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve(sent);
      }
    }
  }
}
