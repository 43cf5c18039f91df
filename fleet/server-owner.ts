import { type Observable, Subject, type Subscription, filter } from 'rxjs';
import type { AsteriskServerConfig } from '../config/cluster-settings';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { CallUpdate } from '../call/call-update';
import { type ClusterCallStore, type ServerCallRow, serverLeaseName } from '../cluster/cluster-call-store';
import type { Fence } from '../cluster/fenced-update';
import { Lease, type LeaseClock } from '../cluster/lease';
import type { LeaseStore } from '../cluster/lease-store';
import { AriAdapter } from '../stasis/ari-adapter';
import type { AriPort } from '../stasis/ari-port';
import { CallEngine } from '../stasis/call-engine';
import type { AgentDirectory, AuditTrail, CallRecords } from '../stasis/call-engine-ports';
import type { CallSetupObserver } from '../stasis/call-setup-observer';
import { FencedAri } from '../stasis/fenced-ari';
import type { CallStore } from '../store/call-store';

/** How often the owner looks for work even without a notification (one may be missed while reconnecting). */
const POLL_MS = 1000;

/** An AriPort whose WebSocket can be started; the adapter over real ARI by default. */
export type OwnedAri = AriPort & { start(): Promise<void> };

export interface ServerOwnerDeps {
  server: AsteriskServerConfig;
  config: Config;
  instanceId: string;
  leaseTtlMs: number;
  serverDownAfterS: number;
  leases: Pick<LeaseStore, 'acquire' | 'renew' | 'release'>;
  clusterCalls: ClusterCallStore;
  calls: Pick<CallStore, 'recordFencedTransition'>;
  agents: AgentDirectory;
  audit: AuditTrail;
  logger: Logger;
  /** Payloads of the calls channel: a server's id when it has work. */
  wakeUps: Observable<string>;
  /**
   * Told of each call this owner runs or takes over, to show its status to its agent; `attach`
   * records the status message on the row, under this owner's lease.
   */
  follow(row: ServerCallRow, updates: Observable<CallUpdate>, attach: (chatId: string, messageId: number) => void): void;
  setup?: CallSetupObserver;
  /** `mayConnect`: whether this holding is still the lease's, asked before each WebSocket is opened. */
  connectAri?: (server: AsteriskServerConfig, mayConnect: () => boolean) => OwnedAri;
  clock?: LeaseClock;
  now?: () => number;
  /** Asked before each attempt to take the server (fair-share.ts); default: always. */
  wants?: () => Promise<boolean>;
}

/** While this instance owns the server: its ARI, its engine, and what keeps them going. */
interface Ownership {
  fence: Fence;
  ari: OwnedAri;
  engine: CallEngine;
  subscriptions: Subscription[];
  poll: NodeJS.Timeout;
  downSince?: number;
  downHandled: boolean;
  serving?: Promise<void>;
  /** A wake-up came during a round: its request may have been recorded after that round's claim, so another round follows. */
  serveAgain?: boolean;
}

/**
 * One Asterisk server in cluster mode, from this instance's side: it tries for the server's lease
 * and, while it holds it, connects the server's ARI WebSocket (Asterisk keeps one per app name),
 * takes over the calls a previous owner left, and runs every call placed on the server. It stops
 * acting the moment the lease is lost, leaving the calls to the next owner; channels and bridges
 * outlive a WebSocket, so they keep talking meanwhile.
 */
export class ServerOwner {
  private readonly lease: Lease;
  private owned?: Ownership;
  private leaseEvents?: Subscription;
  private readonly now: () => number;
  private readonly allUpdates = new Subject<CallUpdate>();

  constructor(private readonly deps: ServerOwnerDeps) {
    this.now = deps.now ?? Date.now;
    this.lease = new Lease(deps.leases, {
      name: serverLeaseName(deps.server.id), holder: deps.instanceId, ttlMs: deps.leaseTtlMs, ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.wants ? { wants: deps.wants } : {}),
    });
  }

  get serverId(): string {
    return this.deps.server.id;
  }

  /** The engine while this instance owns the server. */
  get engine(): CallEngine | undefined {
    return this.owned?.engine;
  }

  /** Every update of the calls this instance runs on the server, across changes of ownership. */
  get updates(): Observable<CallUpdate> {
    return this.allUpdates.asObservable();
  }

  isOwner(): boolean {
    return this.lease.isHeld();
  }

  /** The calls this instance runs on the server now. */
  liveCalls(): number {
    return this.owned?.engine.liveCalls().length ?? 0;
  }

  /** Lets the server go to another instance now (its calls go on, for the next owner to take over), and tries for it again later. */
  handBack(): Promise<void> {
    return this.lease.handBack();
  }

  isConnected(): boolean {
    return this.owned !== undefined && this.owned.ari.isConnected();
  }

  start(): void {
    this.leaseEvents = this.lease.events.subscribe((event) => {
      if (event.kind === 'held') void this.take(event.token);
      else void this.letGo(event.reason);
    });
    this.lease.start();
  }

  /** Stops acting on the server and frees its lease at once, so another instance takes it without waiting for it to lapse. */
  async stop(): Promise<void> {
    await this.letGo('stopped');
    this.leaseEvents?.unsubscribe();
    await this.lease.stop();
  }

  private async take(token: bigint): Promise<void> {
    const { server, logger } = this.deps;
    await this.letGo('taken again');
    const fence: Fence = { name: serverLeaseName(server.id), holder: this.deps.instanceId, token };
    const isOwner = () => this.lease.token === token;
    const raw = (this.deps.connectAri ?? this.adapterFor.bind(this))(server, isOwner);
    const ari = new FencedAri(raw, isOwner, server.id);
    const engine = new CallEngine({
      config: { ...this.deps.config, ari: { ...this.deps.config.ari, url: server.url, username: server.username, password: server.password } },
      ari, agents: this.deps.agents, audit: this.deps.audit, logger, calls: this.fencedRecords(fence),
      ...(this.deps.setup ? { setup: this.deps.setup } : {}),
      server: {
        id: server.id,
        callsToTakeOver: () => this.deps.clusterCalls.startedCalls(server.id),
        onRun: (row, updates) => this.deps.follow(row, updates, (chatId, messageId) => engine.attachStatusMessage(row.id, chatId, messageId)),
      },
    });
    const owned: Ownership = { fence, ari: raw, engine, subscriptions: [], poll: setInterval(() => this.serve(owned), POLL_MS), downHandled: false };
    this.owned = owned;
    logger.info('owning Asterisk server', { server: server.id, token: String(token) });
    await engine.start();
    owned.subscriptions.push(ari.connection.subscribe((state) => {
      if (this.owned !== owned) return;
      const connected = state === 'connected';
      if (connected) {
        owned.downSince = undefined;
        owned.downHandled = false;
      } else {
        owned.downSince ??= this.now();
      }
      if (state !== 'connecting') {
        void this.deps.clusterCalls.setConnected(server.id, connected, fence).catch((err: unknown) => logger.warn('cannot record the server\'s state', { server: server.id, err }));
      }
    }));
    owned.subscriptions.push(engine.updates.subscribe((update) => this.allUpdates.next(update)));
    owned.subscriptions.push(this.deps.wakeUps.pipe(filter((id) => id === server.id)).subscribe(() => this.serve(owned)));
    void raw.start();
  }

  /** Starts the server's waiting requests and carries out cancels asked for elsewhere; one round at a time. */
  private serve(owned: Ownership): void {
    if (this.owned !== owned) return;
    if (owned.serving) {
      owned.serveAgain = true;
      return;
    }
    owned.serveAgain = false;
    owned.serving = this.serveOnce(owned)
      .catch((err: unknown) => { this.deps.logger.warn('serving the server\'s calls failed; the next round tries again', { server: this.serverId, err }); })
      .finally(() => {
        owned.serving = undefined;
        if (owned.serveAgain) this.serve(owned);
      });
  }

  private async serveOnce(owned: Ownership): Promise<void> {
    const { clusterCalls, server, serverDownAfterS, logger } = this.deps;
    if (!this.lease.isHeld()) return;
    if (!owned.ari.isConnected()) {
      const down = owned.downSince !== undefined && this.now() - owned.downSince >= serverDownAfterS * 1000;
      if (!down) return;
      const why = `Asterisk server ${server.id} has been unreachable for ${serverDownAfterS} s`;
      if (!owned.downHandled) {
        owned.downHandled = true;
        const ended = owned.engine.failLiveCalls(why);
        logger.error('Asterisk server unreachable; its calls are ended and new calls go to other servers', { server: server.id, ended });
      }
      await owned.engine.exclusively(async () => {
        for (const row of await clusterCalls.claimRequests(server.id, owned.fence)) owned.engine.failRequested(row, why);
      });
      return;
    }
    // A claim and its start are one step for the engine: a take-over reading the rows meanwhile would take the claimed row for an abandoned one.
    await owned.engine.exclusively(async () => {
      for (const row of await clusterCalls.claimRequests(server.id, owned.fence)) owned.engine.runRequested(row);
    });
    for (const row of await clusterCalls.cancelRequests(server.id)) owned.engine.cancelRequested(row);
  }

  /** Stops acting at once: no more requests or writes (the fence would refuse them anyway); the calls stay up in Asterisk for the next owner. */
  private async letGo(reason: string): Promise<void> {
    const owned = this.owned;
    if (!owned) return;
    this.owned = undefined;
    clearInterval(owned.poll);
    for (const s of owned.subscriptions) s.unsubscribe();
    this.deps.logger.warn('no longer owning Asterisk server', { server: this.serverId, reason, liveCalls: owned.engine.liveCalls().length });
    await owned.ari.close();
    await owned.engine.stop();
  }

  private adapterFor(server: AsteriskServerConfig, mayConnect: () => boolean): OwnedAri {
    const { config, logger } = this.deps;
    return new AriAdapter({
      url: server.url, username: server.username, password: server.password, app: config.ari.app, requestTimeoutMs: config.ari.requestTimeoutMs, logger,
      userAgent: `callbot (${this.deps.instanceId})`, mayConnect,
    });
  }

  /** The engine's row writes, each only while this holding is still the server's lease. */
  private fencedRecords(fence: Fence): CallRecords {
    const { calls, logger } = this.deps;
    return {
      recordCallRequest: () => Promise.reject(new Error('a server owner records no requests: the intake does')),
      liveCalls: () => Promise.resolve([]),
      latestPlacedCallOfAgent: () => Promise.reject(new Error('a server owner places no calls: the intake does')),
      placingAlone: () => Promise.reject(new Error('a server owner places no calls: the intake does')),
      recordCallTransition: async (callId, patch) => {
        if (!(await calls.recordFencedTransition(callId, patch, fence))) {
          logger.warn('call change not written: this instance no longer owns the call\'s server', { callId, server: this.serverId });
        }
      },
    };
  }
}
