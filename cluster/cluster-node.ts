import { map, merge } from 'rxjs';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { ClusterSettings } from '../config/cluster-settings';
import type { Logger } from '../config/logger';
import { type Observable, Subject } from 'rxjs';
import { CALLS_CHANNEL, ClusterCallStore } from './cluster-call-store';
import { clusterReturnCalls } from './cluster-return-calls';
import { DEFAULT_RETURN_CALL_SETTINGS } from '../engine/call-engine';
import type { CallUpdate } from '../call/call-update';
import { Lease } from './lease';
import { LeaseStore } from './lease-store';
import { PgNotifications } from './pg-notifications';
import { callChangesOf } from './call-changes';
import { CALL_CHANGES_CHANNEL } from '../entities/migrations/1768100000000-api-rate-and-call-changes';
import { ClusterDesk } from './cluster-desk';
import { FairShare } from './fair-share';
import { withinGlobalLimits } from './global-limits';
import { ServerOwner } from './server-owner';
import { createCallRules } from '../compliance/rules';
import { callPartiesDesk } from '../engine/call-engine-parties';
import { AriAdapter } from '../ari/ari-adapter';
import type { CallSetupObserver } from '../engine/call-setup-observer';
import type { ConsentAnnouncements, RecordingPolicies } from '../engine/call-engine-ports';
import { CallerIdVerification } from '../verification/caller-id-verification';
import { VerificationRunner } from '../verification/verification-runner';
import type { Stores } from '../store';
import type { ServerState } from '../ops/metrics';
import { type ShownCall, showCallStatus } from '../telegram/call-status';
import type { TelegramOut } from '../telegram/telegram-out';
import { supervisorMessages } from '../telegram/commands/supervision';
import { SupervisorRoster } from '../agents/supervisor-roster';
import { ClusterSupervisions } from './cluster-supervisions';
import { SupervisionRequests } from './supervision-requests';
import { ClusterParties, servePartyRequests } from './cluster-parties';
import { RequestPruning } from './request-pruning';
import { PartyRequests } from './party-requests';

/** The lease whose holder alone long-polls Telegram (polling mode): Telegram hands updates to one poller. */
export const POLLING_LEASE = 'telegram:polling';

export interface ClusterNode {
  desk: ClusterDesk;
  /**
   * Transfer, consultation and conference for the calls this instance's engines run now; the same
   * requests of a call another instance runs are passed to its owner, which checks and carries them out (cluster-parties.ts).
   */
  parties: ClusterParties;
  verification: CallerIdVerification;
  /** Supervisors' /live and taps: asked for on this instance, run by the owner of the call's server. */
  supervision: ClusterSupervisions;
  owners: readonly ServerOwner[];
  servers(): Promise<readonly ServerState[]>;
  /** Polling mode: held while this instance is the one that polls. */
  pollingLease: Lease;
  /** Lets go of every server (their calls go on in Asterisk, for the next owner) and of the polling lease. */
  stop(): Promise<void>;
  /** Each return call this instance's servers take (cluster-return-calls.ts), to show to the agent it rings. */
  returnCalls: Observable<FollowedReturnCall>;
}

/** A return call to show its agent (and tell of a missed one): taken here, or taken over from an owner that stopped. */
export interface FollowedReturnCall {
  shown: ShownCall;
  updates: Observable<CallUpdate>;
  attach: (chatId: string, messageId: number) => void;
}

export interface ClusterNodeDeps {
  config: Config;
  cluster: ClusterSettings;
  dataSource: DataSource;
  stores: Stores;
  out: TelegramOut;
  logger: Logger;
  setup?: CallSetupObserver;
  statusEditIntervalMs: number;
  /** Given to every server's engine: each route's recording policy and consent announcement (recording/). */
  recordingPolicies?: RecordingPolicies;
  consentAnnouncements?: ConsentAnnouncements;
}

/**
 * This instance's part in a cluster: a claim on every configured Asterisk server (the lease decides
 * who owns which), the desk the bot places and ends calls through, and the notifications that wake
 * an owner when another instance hands it a call.
 */
export async function startClusterNode(deps: ClusterNodeDeps): Promise<ClusterNode> {
  const { config, cluster, dataSource, stores, out, logger } = deps;
  const leases = new LeaseStore(dataSource);
  const clusterCalls = new ClusterCallStore(dataSource);
  const notifications = new PgNotifications(config.databaseUrl, CALLS_CHANNEL, logger);
  await notifications.start();
  // Every instance's calls as their rows change: the Mini App's live views follow the whole cluster.
  const callChanges = new PgNotifications(config.databaseUrl, CALL_CHANGES_CHANNEL, logger);
  await callChanges.start();
  const share = new FairShare({
    leases, instanceId: cluster.instanceId, ttlMs: cluster.leaseTtlMs, serverCount: config.asteriskServers.length, servers: () => owners, logger,
  });
  const rules = createCallRules(config, stores);
  const supervisionRequests = new SupervisionRequests(dataSource);
  const roster = new SupervisorRoster({ supervisors: stores.supervisors, agents: stores.agents, audit: stores.audit, config });
  const localParties = callPartiesDesk(() => owners.map((o) => o.engine), { config, agents: stores.agents, calls: stores.calls, audit: stores.audit, rules });
  const partyRequests = new PartyRequests(dataSource);
  const parties = new ClusterParties({
    local: localParties, runsHere: (callId) => owners.some((o) => o.engine?.callState(callId) !== undefined),
    requests: partyRequests, clusterCalls, agents: stores.agents, calls: stores.calls,
  });
  const returnCalls = new Subject<FollowedReturnCall>();
  const returnCallSettings = { ...config.returnCalls, missedMessageTimeoutS: DEFAULT_RETURN_CALL_SETTINGS.missedMessageTimeoutS };
  const owners: ServerOwner[] = config.asteriskServers.map((server) => new ServerOwner({
    returnCalls: (fence) => clusterReturnCalls({ dataSource, stores, settings: returnCallSettings }, server.id, fence),
    followReturnCall: (view, attach) => returnCalls.next({
      shown: { chatId: view.context.agentTelegramId, context: view.context, stage: view.stage }, updates: view.updates, attach,
    }),
    wants: () => share.mayTake(server.id),
    reach: { othersToTry: () => share.othersToTry(server.id), markAway: (ms) => share.markAway(server.id, ms) },
    server, config, instanceId: cluster.instanceId, leaseTtlMs: cluster.leaseTtlMs, serverDownAfterS: cluster.serverDownAfterS,
    handBackAfterS: cluster.handBackAfterS, stayAwayS: cluster.stayAwayS,
    leases, clusterCalls, parties: stores.legs, agents: stores.agents, audit: stores.audit, logger, wakeUps: notifications.payloads,
    ...(deps.setup ? { setup: deps.setup } : {}),
    ...(deps.recordingPolicies ? { recordingPolicies: deps.recordingPolicies } : {}),
    ...(deps.consentAnnouncements ? { consentAnnouncements: deps.consentAnnouncements } : {}),
    supervisions: { requests: supervisionRequests, roster, messages: supervisorMessages(out) },
    // Transfers, added parties and consultations' ends asked for on other instances: this instance's party desk checks and carries them out.
    partyRequests: servePartyRequests(partyRequests, localParties),
    // A return call taken over goes on showing as one: its agent's status message, and the missed-call message if nobody answers.
    follow: (row, updates, attach) => (row.context.returnCall ? returnCalls.next({
      shown: { chatId: row.telegramChatId ?? row.context.agentTelegramId, context: row.context, stage: row.stage, statusMessageId: row.statusMessageId },
      updates, attach,
    }) : showCallStatus(
      {
        out, logger, statusEditIntervalMs: deps.statusEditIntervalMs, ...(config.agentConfirmDigit ? { confirmDigit: config.agentConfirmDigit } : {}),
        // The owner of the call's server runs it: its party buttons are asked of this instance's desk.
        partyButtons: true, chatOfAgent: async (agentId) => (await stores.agents.byId(agentId))?.telegramId,
        // The owner runs the call's supervisions too: the agent's message says when one is on (MONITOR_NOTICE).
        ...(config.monitorNotice
          ? { monitoring: merge(...owners.map((o) => o.supervisionUpdates)).pipe(map((v) => ({ callId: v.callId, monitored: v.stage === 'active' }))) } : {}),
      },
      { chatId: row.telegramChatId ?? row.context.agentTelegramId, context: row.context, stage: row.stage, statusMessageId: row.statusMessageId },
      updates, attach,
    )),
  }));
  const desk = new ClusterDesk({
    config, agents: stores.agents, calls: withinGlobalLimits(config, stores.calls), audit: stores.audit, logger, rules,
    servers: config.asteriskServers, clusterCalls, owners, rows: stores.calls, changes: callChangesOf(callChanges.payloads, logger),
  });
  // Verification calls have an ARI app of their own per instance: a second connection under the
  // calls' app name would take the server's events away from its owner (ApplicationReplaced).
  const first = config.asteriskServers[0]!;
  const verifyAri = new AriAdapter({
    url: first.url, username: first.username, password: first.password, app: verificationApp(config.ari.app, cluster.instanceId),
    requestTimeoutMs: config.ari.requestTimeoutMs, logger,
  });
  const verifier = new VerificationRunner({ ari: verifyAri, app: verificationApp(config.ari.app, cluster.instanceId), logger });
  verifier.start();
  void verifyAri.start();
  const verification = new CallerIdVerification({
    config, runner: verifier, pool: stores.callerIds, audit: stores.audit, logger, isTelephonyOnline: () => verifyAri.isConnected(),
  });
  share.start();
  for (const owner of owners) owner.start();
  const pruning = new RequestPruning({ tables: { party_requests: partyRequests, supervision_requests: supervisionRequests }, logger });
  pruning.start();
  const pollingLease = new Lease(leases, { name: POLLING_LEASE, holder: cluster.instanceId, ttlMs: cluster.leaseTtlMs });
  const ids = config.asteriskServers.map((s) => s.id);
  const supervision = new ClusterSupervisions({ clusterCalls, requests: supervisionRequests, agents: stores.agents, config });
  return {
    desk, parties, verification, supervision, owners, pollingLease, returnCalls: returnCalls.asObservable(),
    servers: async () => (await clusterCalls.servers(ids)).map((view) => ({
      id: view.id, connected: view.connected, ownedHere: owners.some((o) => o.serverId === view.id && o.isOwner()),
    })),
    stop: async () => {
      await pruning.stop();
      await pollingLease.stop();
      await share.stop();
      await Promise.all(owners.map((o) => o.stop()));
      await verifier.stop();
      await verifyAri.close();
      await notifications.stop();
      await callChanges.stop();
    },
  };
}

/** An ARI app name unique to this instance, within ARI's allowed characters. */
function verificationApp(app: string, instanceId: string): string {
  return `${app}-verify-${instanceId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}
