import { type Observable, Subject, type Subscription, filter } from 'rxjs';
import type { PartyRecords } from '../engine/call-engine-ports';
import type { AsteriskServerConfig } from '../config/cluster-settings';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { CallUpdate } from '../call/call-update';
import { type ClusterCallStore, type ServerCallRow, serverLeaseName } from './cluster-call-store';
import type { Fence } from './fenced-update';
import { Lease, type LeaseClock } from './lease';
import type { LeaseStore } from './lease-store';
import { AriAdapter } from '../ari/ari-adapter';
import type { AriPort } from '../ari/ari-port';
import { CallEngine } from '../engine/call-engine';
import type { CallEngineDeps, LiveCallView } from '../engine/call-engine';
import type { AgentDirectory, AuditTrail, CallRecords, ConsentAnnouncements, RecordingPolicies } from '../engine/call-engine-ports';
import type { CallSetupObserver } from '../engine/call-setup-observer';
import { FencedAri } from './fenced-ari';
import { type PartyRows, ServerCalls } from './server-calls';
import { type ServerSupervisionsDeps, ServerSupervisions } from './server-supervisions';
import type { SupervisionView } from '../engine/supervision-runner';

/** How often the owner looks for work even without a notification (one may be missed while reconnecting). */
const POLL_MS = 1000;

/** An AriPort whose WebSocket can be started; the adapter over real ARI by default. */
export type OwnedAri = AriPort & { start(): Promise<void> };

export interface ServerOwnerDeps {
  server: AsteriskServerConfig;
  config: Config;
  instanceId: string;
  leaseTtlMs: number;
  /** How long the server may be unreachable, for its owners one after another, before its calls are ended. */
  serverDownAfterS: number;
  /** How long an owner may go without the server's ARI before it hands the server to another instance. */
  handBackAfterS: number;
  /** How long it then leaves the server to the others. */
  stayAwayS: number;
  /**
   * What the other instances found of the server (fair-share.ts): how many may still reach it, and
   * how this one says it cannot. Default: no other instance, so the server is never handed back.
   */
  reach?: {
    othersToTry(): Promise<number>;
    markAway(ms: number): Promise<void>;
  };
  leases: Pick<LeaseStore, 'acquire' | 'renew' | 'release'>;
  clusterCalls: ClusterCallStore;
  /** The record of calls' legs and multi-party steps: written by the engine, read for the calls taken over. */
  parties?: PartyRecords & PartyRows;
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
  /** Each route's recording policy and consent announcement, read by the engine at dial time (recording/). */
  recordingPolicies?: RecordingPolicies;
  consentAnnouncements?: ConsentAnnouncements;
  /** `mayConnect`: whether this holding is still the lease's, asked before each WebSocket is opened. */
  connectAri?: (server: AsteriskServerConfig, mayConnect: () => boolean) => OwnedAri;
  clock?: LeaseClock;
  now?: () => number;
  /** Asked before each attempt to take the server (fair-share.ts); default: always. */
  wants?: () => Promise<boolean>;
  /** Supervisors' listen, whisper and barge on the server's calls, asked for on any instance (server-supervisions.ts); none without it. */
  supervisions?: Pick<ServerSupervisionsDeps, 'requests' | 'roster' | 'messages'>;
  /** Carries out the server's transfer requests recorded on other instances under this holding (cluster-parties.ts); none without it. */
  partyRequests?: (serverId: string, fence: Fence) => Promise<void>;
  /** Customers calling a pool number back on this server (cluster-return-calls.ts), under the holding `fence`; without it they are refused. */
  returnCalls?: (fence: Fence) => CallEngineDeps['returnCalls'];
  /** Told of each return call this owner takes, to show it to the agent it rings (and tell of a missed one). */
  followReturnCall?(view: LiveCallView, attach: (chatId: string, messageId: number) => void): void;
}

/** While this instance owns the server: its ARI, its engine, and what keeps them going. */
interface Ownership {
  fence: Fence;
  ari: OwnedAri;
  engine: CallEngine;
  /** The server's calls as the cluster hands them to the engine: requests, take-overs, cancels. */
  calls: ServerCalls;
  subscriptions: Subscription[];
  poll: NodeJS.Timeout;
  /** Since when this holding has been without an ARI connection: from the take until the first connect, or from a drop. */
  downSince?: number;
  /** Whether this holding has said that it ends the server's calls. */
  downHandled: boolean;
  serving?: Promise<void>;
  /** A wake-up came during a round: its request may have been recorded after that round's claim, so another round follows. */
  serveAgain?: boolean;
  supervisions?: ServerSupervisions;
}

/**
 * One Asterisk server in cluster mode, from this instance's side: it tries for the server's lease
 * and, while it holds it, connects the server's ARI WebSocket (Asterisk keeps one per app name),
 * takes over the calls a previous owner left, and runs every call placed on the server. It stops
 * acting the moment the lease is lost, leaving the calls to the next owner; channels and bridges
 * outlive a WebSocket, so they keep talking meanwhile.
 *
 * An owner that cannot reach the server's ARI (a wrong password on this instance, a network
 * partition between it and the server) hands the lease back after `handBackAfterS` while another
 * instance has not tried it lately, and stays away for `stayAwayS`, so that an instance that can
 * reach it takes it and its calls over. The calls are ended only when every instance alive has
 * found it unreachable and it has been so for `serverDownAfterS`, counted across its owners.
 */
export class ServerOwner {
  private readonly lease: Lease;
  private owned?: Ownership;
  private leaseEvents?: Subscription;
  private readonly now: () => number;
  private readonly allUpdates = new Subject<CallUpdate>();
  private readonly supervisionChanges = new Subject<SupervisionView>();
  /** Until when this instance leaves the server to the others, after it could not reach it. */
  private awayUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: ServerOwnerDeps) {
    this.now = deps.now ?? Date.now;
    this.lease = new Lease(deps.leases, {
      name: serverLeaseName(deps.server.id), holder: deps.instanceId, ttlMs: deps.leaseTtlMs, ...(deps.clock ? { clock: deps.clock } : {}),
      wants: async () => (this.now() >= this.awayUntil || (await this.othersToTry()) === 0) && (deps.wants ? await deps.wants() : true),
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

  /** Every change of the supervisions this instance runs on the server, across changes of ownership. */
  get supervisionUpdates(): Observable<SupervisionView> {
    return this.supervisionChanges.asObservable();
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
    let supervisions: ServerSupervisions | undefined;
    const engine: CallEngine = new CallEngine({
      config: { ...this.deps.config, ari: { ...this.deps.config.ari, url: server.url, username: server.username, password: server.password } },
      ari, agents: this.deps.agents, audit: this.deps.audit, logger, calls: this.fencedRecords(fence),
      ...(this.deps.parties ? { parties: this.deps.parties } : {}),
      ...(this.deps.setup ? { setup: this.deps.setup } : {}),
      ...(this.deps.recordingPolicies ? { recordingPolicies: this.deps.recordingPolicies } : {}),
      ...(this.deps.consentAnnouncements ? { consentAnnouncements: this.deps.consentAnnouncements } : {}),
      ...(this.deps.returnCalls ? { returnCalls: this.deps.returnCalls(fence) } : {}),
      // Another owner's calls on the server are taken over on every connect, before the engine sweeps orphans.
      adoptOnConnect: (): Promise<void> => calls.exclusively(async () => {
        try {
          await calls.takeOver(await this.deps.clusterCalls.startedCalls(server.id));
        } catch (err) {
          throw new Error(`taking over the calls of Asterisk server ${server.id} failed`, { cause: err });
        }
      }).then(async () => {
        try {
          await supervisions?.endLeftOver();
        } catch (err) {
          logger.warn('ending the supervisions a previous owner ran failed; the next connect tries again', { server: server.id, err });
        }
      }),
      // The supervisions run here keep their channels through the sweep; one a previous owner ran is ended and audited once.
      ...(this.deps.supervisions ? {
        otherChannels: { ownedChannelIds: () => supervisions?.ownedIds() ?? new Set<string>() },
        supervisionCutOff: (cut: { supervisionId: string }) => supervisions?.cutOff(cut.supervisionId),
      } : {}),
    });
    if (this.deps.supervisions) {
      supervisions = new ServerSupervisions({
        ...this.deps.supervisions, serverId: server.id, fence, calls: engine, ari, config: this.deps.config, audit: this.deps.audit, logger,
        ...(this.deps.now ? { now: this.deps.now } : {}),
      });
    }
    const calls: ServerCalls = new ServerCalls({
      serverId: server.id, engine, ari, config: this.deps.config, logger, ...(this.deps.now ? { now: this.deps.now } : {}),
      ...(this.deps.parties ? { partyRows: this.deps.parties } : {}),
      ...(this.deps.recordingPolicies ? { recordingPolicies: this.deps.recordingPolicies } : {}),
      ...(this.deps.consentAnnouncements ? { consentAnnouncements: this.deps.consentAnnouncements } : {}),
      onRun: (row, updates) => this.deps.follow(row, updates, (chatId, messageId) => engine.attachStatusMessage(row.id, chatId, messageId)),
    });
    const owned: Ownership = {
      fence, ari: raw, engine, calls, subscriptions: [], poll: setInterval(() => this.serve(owned), POLL_MS), downHandled: false, ...(supervisions ? { supervisions } : {}),
    };
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
    if (supervisions) owned.subscriptions.push(supervisions.updates.subscribe((view) => this.supervisionChanges.next(view)));
    owned.subscriptions.push(engine.returnCalls.subscribe((view) => this.deps.followReturnCall?.(
      view, (chatId, messageId) => engine.attachStatusMessage(view.context.callId, chatId, messageId),
    )));
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
    const { clusterCalls, server } = this.deps;
    if (!this.lease.isHeld()) return;
    if (!owned.ari.isConnected()) {
      await this.whileUnreachable(owned);
      return;
    }
    // A claim and its start are one step for the engine: a take-over reading the rows meanwhile would take the claimed row for an abandoned one.
    await owned.calls.exclusively(async () => {
      for (const row of await clusterCalls.claimRequests(server.id, owned.fence)) await owned.calls.runRequested(row);
    });
    for (const row of await clusterCalls.cancelRequests(server.id)) owned.calls.cancelRequested(row);
    await owned.supervisions?.serve();
    await this.deps.partyRequests?.(server.id, owned.fence);
  }

  /**
   * A round while the server's ARI cannot be reached from here: once this owner has gone long
   * enough without it, it hands the server to another instance that may reach it; when there is
   * none left to try and the server has been unreachable long enough (for this owner and the ones
   * before it), its calls are ended.
   */
  private async whileUnreachable(owned: Ownership): Promise<void> {
    const { clusterCalls, server, serverDownAfterS, handBackAfterS, stayAwayS, logger } = this.deps;
    const withoutMs = owned.downSince === undefined ? 0 : this.now() - owned.downSince;
    if (await this.othersToTry() === 0) {
      const downForMs = Math.max(withoutMs, await clusterCalls.unreachableForMs(server.id) ?? 0);
      if (downForMs >= serverDownAfterS * 1000) await this.endCalls(owned);
      return;
    }
    if (withoutMs < handBackAfterS * 1000 || this.owned !== owned) return;
    this.awayUntil = this.now() + stayAwayS * 1000;
    logger.warn('cannot reach Asterisk server; handing it to another instance', { server: server.id, withoutS: Math.round(withoutMs / 1000), stayAwayS });
    await this.deps.reach?.markAway(stayAwayS * 1000).catch((err: unknown) => logger.warn('cannot record that this instance leaves the server to the others', { server: server.id, err }));
    // The calls' last writes go under this holding, before the next holder's token fences them out.
    await owned.engine.writesSettled();
    if (this.owned === owned) await this.lease.handBack();
  }

  /**
   * Ends every call of the server as failed, its agents told: the ones this engine runs, the ones
   * a previous owner started and nobody could take over (they are not in this engine: a take-over
   * needs the server's ARI), and the requests waiting for it.
   */
  private async endCalls(owned: Ownership): Promise<void> {
    const { clusterCalls, server, serverDownAfterS, logger } = this.deps;
    const why = `Asterisk server ${server.id} has been unreachable for ${serverDownAfterS} s`;
    let ended = owned.engine.failLiveCalls(why);
    await owned.calls.exclusively(async () => {
      for (const row of await clusterCalls.startedCalls(server.id)) if (owned.calls.failRecorded(row, why)) ended += 1;
      for (const row of await clusterCalls.claimRequests(server.id, owned.fence)) if (owned.calls.failRecorded(row, why)) ended += 1;
    });
    if (owned.downHandled && ended === 0) return;
    owned.downHandled = true;
    logger.error('Asterisk server unreachable; its calls are ended and new calls go to other servers', { server: server.id, ended });
  }

  /** A failed look counts as none: the owner then acts as the only one, as before there were several. */
  private othersToTry(): Promise<number> {
    return this.deps.reach ? this.deps.reach.othersToTry().catch(() => 0) : Promise.resolve(0);
  }

  /** Stops acting at once: no more requests or writes (the fence would refuse them anyway); the calls stay up in Asterisk for the next owner. */
  private async letGo(reason: string): Promise<void> {
    const owned = this.owned;
    if (!owned) return;
    this.owned = undefined;
    clearInterval(owned.poll);
    for (const s of owned.subscriptions) s.unsubscribe();
    owned.supervisions?.stop();
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
    const { logger } = this.deps;
    return {
      recordCallRequest: () => Promise.reject(new Error('a server owner records no requests: the intake does')),
      // The engine ends none of the server's rows on start: a previous owner's calls are taken over on connect.
      liveCalls: () => Promise.resolve([]),
      latestPlacedCallOfAgent: () => Promise.reject(new Error('a server owner places no calls: the intake does')),
      placingAlone: () => Promise.reject(new Error('a server owner places no calls: the intake does')),
      recordCallTransition: async (callId, patch) => {
        if (!(await this.deps.clusterCalls.recordFencedTransition(callId, patch, fence))) {
          logger.warn('call change not written: this instance no longer owns the call\'s server', { callId, server: this.serverId });
        }
      },
    };
  }
}
