import { EMPTY, type Observable, merge } from 'rxjs';
import type { CancelSource } from '../call/call-machine';
import type { CallUpdate } from '../call/call-update';
import type { AsteriskServerConfig } from '../config/cluster-settings';
import type { ClusterCallStore, ServerCallRow } from './cluster-call-store';
import { chooseServer } from './server-choice';
import type { CancelAnswer } from '../engine/call-engine';
import type { CallRecorder } from '../engine/call-row-writer';
import { CallIntake, type CallIntakeDeps, type CallPlacement, type CallRequest, type PlaceCallResult, type RefusedRequest, type StopReason } from '../engine/call-intake';
import type { CallChange, CallDesk, LiveCallSummary } from '../engine/call-desk';
import type { RouteCode } from '../call/call-types';
import type { ServerOwner } from './server-owner';

/** Where a cluster call runs: the Asterisk server chosen for it, recorded on its row for the server's owner. */
interface OnServer {
  serverId: string;
}

export interface ClusterDeskDeps extends CallIntakeDeps {
  servers: readonly AsteriskServerConfig[];
  clusterCalls: ClusterCallStore;
  /** This instance's side of every server: the engines of those it owns now. */
  owners: readonly ServerOwner[];
  /** Status message ids go on the row directly: the owner may be another instance. */
  rows: CallRecorder;
  /** Every instance's calls as their rows change (call-changes.ts). */
  changes?: Observable<CallChange>;
}

/**
 * The bot's calls in cluster mode. A request is checked and recorded here, on whichever instance
 * Telegram's update reached, with the server chosen for it; the owner of that server starts it.
 * Lists come from the database, and a cancel is written on the call's row for its owner, unless
 * this instance is the owner, which then acts at once.
 */
export class ClusterDesk implements CallDesk {
  private readonly intake: CallIntake<OnServer>;
  private readonly reserved = new Map<number, RouteCode>();
  private counts: { total: number; byRoute: Partial<Record<RouteCode, number>> } = { total: 0, byRoute: {} };

  constructor(private readonly deps: ClusterDeskDeps) {
    this.intake = new CallIntake(deps, this.placement());
  }

  get updates(): Observable<CallUpdate> {
    return merge(...this.deps.owners.map((o) => o.updates));
  }

  get refusals(): Observable<RefusedRequest> {
    return this.intake.refusals;
  }

  get changes(): Observable<CallChange> | undefined {
    return this.deps.changes;
  }

  placeCall(request: CallRequest): Promise<PlaceCallResult> {
    return this.intake.placeCall(request);
  }

  /** This instance's requests at once; another instance's waiting request finds its agent gone when it next reads it (call-intake.ts). */
  stopRequestsOf(agentTelegramId: string, why: StopReason): Promise<void> {
    return this.intake.stopRequestsOf(agentTelegramId, why);
  }

  async cancelCallAs(callId: string, who: { agentId: number | null; isAdmin: boolean }): Promise<CancelAnswer> {
    // A call running here is the engine's to judge: it knows the owner now (a transfer changes it); the row names who placed it.
    for (const owner of this.deps.owners) {
      const answer = owner.engine?.cancelCallAs(callId, who);
      if (answer !== undefined && answer !== 'no_such_call') return answer;
    }
    const row = await this.deps.clusterCalls.liveCall(callId);
    if (!row) return 'no_such_call';
    const own = who.agentId !== null && who.agentId === row.context.agentId;
    if (!own && !who.isAdmin) return 'not_yours';
    return (await this.cancelCall(callId, own ? 'agent' : 'admin')) ? 'cancelled' : 'no_such_call';
  }

  async cancelCall(callId: string, by: CancelSource): Promise<boolean> {
    for (const owner of this.deps.owners) {
      if (owner.engine?.cancelCall(callId, by)) return true;
    }
    return (await this.deps.clusterCalls.requestCancel(callId, by)) !== null;
  }

  async liveCallOfAgent(agentId: number): Promise<LiveCallSummary | undefined> {
    // The engine that runs a call knows who is on it now (a transfer changes that); its row names who placed it.
    for (const owner of this.deps.owners) {
      const live = owner.engine?.liveCallOfAgent(agentId);
      if (live) return live;
    }
    const row = await this.deps.clusterCalls.liveCallOfAgent(agentId);
    const runsHere = row !== null && row !== undefined && this.deps.owners.some((o) => o.engine?.liveCall(row.context.callId) !== undefined);
    return row && !runsHere ? summaryOf(row) : undefined;
  }

  async liveCalls(): Promise<LiveCallSummary[]> {
    return (await this.deps.clusterCalls.liveCalls()).map(summaryOf);
  }

  /** Only a call running here: its status message (and so its button) is in this instance's chats as a rule. */
  async toggleRecording(callId: string, pause: boolean, by: string): Promise<boolean> {
    return this.deps.owners.some((owner) => owner.engine?.toggleRecording(callId, pause, by) === true);
  }

  attachStatusMessage(callId: string, telegramChatId: string, statusMessageId: number): void {
    void this.deps.rows.recordCallTransition(callId, { telegramChatId, statusMessageId }).catch((err: unknown) => {
      this.deps.logger.warn('status message id not recorded', { callId, err });
    });
  }

  /** Where cluster calls go: the database knows every server's state and every live call. */
  private placement(): CallPlacement<OnServer> {
    const { clusterCalls, servers } = this.deps;
    return {
      liveCallOfAgent: (agentId) => {
        for (const owner of this.deps.owners) {
          const live = owner.engine?.liveCallOfAgent(agentId);
          if (live) return live.context.callId;
        }
        return undefined;
      },
      reserveAgent: (agentId, route) => {
        if (this.reserved.has(agentId)) return false;
        this.reserved.set(agentId, route);
        return true;
      },
      releaseAgent: (agentId) => { this.reserved.delete(agentId); },
      beforeChecks: async () => { this.counts = await clusterCalls.liveCounts(); },
      liveCallsOnRoute: (route) => (this.counts.byRoute[route] ?? 0) + [...this.reserved.values()].filter((r) => r === route).length,
      // Read by beforeChecks for this request; the recording counts again under the database's lock.
      liveCallCount: () => Promise.resolve(this.counts.total + this.reserved.size),
      whereFor: async (route) => {
        const views = await clusterCalls.servers(servers.map((s) => s.id));
        const id = chooseServer(route, servers, views);
        return id === undefined ? undefined : { serverId: id };
      },
      endedCallsWritten: () => Promise.resolve(),
      start: async (_context, _plan, { serverId }) => {
        await clusterCalls.notify(serverId);
        return { updates: EMPTY, runsHere: false };
      },
    };
  }
}

function summaryOf(row: ServerCallRow): LiveCallSummary {
  return { context: row.context, stage: row.stage };
}
