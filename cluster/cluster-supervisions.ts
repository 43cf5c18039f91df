import { randomUUID } from 'node:crypto';
import type { SupervisionMode } from '../call/supervision';
import type { Config } from '../config/config';
import type { LiveCallRow, RequestedSupervisions, SuperviseAnswer, Supervisor, SupervisionRefusal } from '../engine/supervision-desk';
import type { ClusterCallStore, ServerCallRow } from './cluster-call-store';
import { STALE_REQUEST_MS } from './server-calls';
import type { SupervisionRequests } from './supervision-requests';

export interface ClusterSupervisionsDeps {
  clusterCalls: Pick<ClusterCallStore, 'liveCalls' | 'liveCall' | 'liveCallOfAgent'>;
  requests: SupervisionRequests;
  agents: { byId(id: number): Promise<{ displayName: string } | null> };
  config: Pick<Config, 'monitorRoutes'>;
  newId?: () => string;
}

/**
 * Supervisors' requests in cluster mode, on whichever instance Telegram's update reached: `/live`
 * lists every live call of the cluster from the database, and a tap is checked here (route, own
 * call, connected, one supervision at a time) and recorded for the owner of the call's server,
 * which checks the supervisor again, rings them on that server and shows their message
 * (server-supervisions.ts). Mode switches and Leave are written on the request for that owner.
 */
export class ClusterSupervisions implements RequestedSupervisions {
  constructor(private readonly deps: ClusterSupervisionsDeps) {}

  async liveCalls(): Promise<LiveCallRow[]> {
    const rows = await this.deps.clusterCalls.liveCalls();
    return Promise.all(rows.filter((row) => row.stage !== 'requested').map((row) => this.liveRow(row)));
  }

  async supervise(callId: string, supervisor: Supervisor, mode: SupervisionMode, chatId: string): Promise<SuperviseAnswer> {
    const { clusterCalls, config, requests } = this.deps;
    const row = await clusterCalls.liveCall(callId);
    if (!row) return { ok: false, refusal: 'no_such_call' };
    if (!config.monitorRoutes.includes(row.context.route)) return { ok: false, refusal: 'not_monitored' };
    if (supervisor.agentId !== null) {
      // Placed by them, or theirs now by a transfer.
      const onCall = await clusterCalls.liveCallOfAgent(supervisor.agentId);
      if (row.context.agentId === supervisor.agentId || onCall?.id === callId) return { ok: false, refusal: 'own_call' };
    }
    const theirs = await requests.liveOf(supervisor.telegramId);
    // A request no owner took in time (its server had none) is given up rather than holding them back.
    if (theirs && !(!theirs.claimed && await requests.expireUnclaimed(theirs.id, STALE_REQUEST_MS))) return { ok: false, refusal: 'already_supervising' };
    if (row.stage !== 'connected') return { ok: false, refusal: 'not_connected' };
    const live = await this.liveRow(row);
    const supervisionId = (this.deps.newId ?? randomUUID)();
    const recorded = await requests.request({ id: supervisionId, callId, supervisorTelegramId: supervisor.telegramId, chatId, agentLabel: live.agentLabel, mode });
    return recorded === 'recorded' ? { ok: true, supervisionId } : { ok: false, refusal: recorded };
  }

  async switchMode(supervisionId: string, telegramId: string, mode: SupervisionMode): Promise<SupervisionRefusal | 'ok'> {
    if (await this.deps.requests.askMode(supervisionId, telegramId, mode)) return 'ok';
    const row = await this.deps.requests.byId(supervisionId);
    return !row || row.supervisorTelegramId !== telegramId || row.stage === 'ended' ? 'no_such_supervision' : 'not_now';
  }

  async leave(supervisionId: string, telegramId: string): Promise<SupervisionRefusal | 'ok'> {
    return (await this.deps.requests.askLeave(supervisionId, telegramId)) ? 'ok' : 'no_such_supervision';
  }

  private async liveRow(row: ServerCallRow): Promise<LiveCallRow> {
    const agent = await this.deps.agents.byId(row.context.agentId);
    return {
      callId: row.id, agentId: row.context.agentId, agentTelegramId: row.context.agentTelegramId,
      agentLabel: agent?.displayName || row.context.agentPhone, route: row.context.route, customer: row.context.target, stage: row.stage,
      ...(row.connectedAt ? { connectedAt: row.connectedAt.getTime() } : {}),
      monitorable: this.deps.config.monitorRoutes.includes(row.context.route),
    };
  }
}
