import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { ConsultEnd, PartyTarget, TransferMode } from '../call/call-types';
import type { RefusedRequest } from '../engine/call-intake';
import type { CallParties, PartyAnswer, PartyRefusal, PartyRequester, TransferCandidate } from '../engine/call-parties';
import type { PartyAgents } from '../engine/call-parties-desk';
import { formatForDisplay } from '../phone/number-policy';
import type { ClusterCallStore } from './cluster-call-store';
import type { Fence } from './fenced-update';
import type { PartyRequests } from './party-requests';
import { STALE_REQUEST_MS } from './server-calls';

export interface ClusterPartiesDeps {
  /** The party desk of this instance's engines (engine/call-parties-desk.ts). */
  local: CallParties & { refusals: Observable<RefusedRequest> };
  /** Whether one of this instance's engines runs the call now. */
  runsHere(callId: string): boolean;
  requests: PartyRequests;
  clusterCalls: Pick<ClusterCallStore, 'liveCall' | 'liveCallOfAgent'>;
  agents: Pick<PartyAgents, 'activeAgentsOnRoute'>;
  /** The database's view of an agent's placed calls, across every instance (a live one has no end). */
  calls: { latestPlacedCallOfAgent(agentId: number): Promise<{ endedAt: Date | null } | null> };
  /** How often the waiting instance reads the request's row for the owner's answer. */
  answerPollMs?: number;
  /** How long a request no owner claims is waited for before it is withdrawn (its server has no owner that serves now). */
  unclaimedTimeoutMs?: number;
  /** How long a request claimed by an owner may go unanswered before the requester is told it was not taken. */
  answerTimeoutMs?: number;
  newId?: () => string;
}

const ANSWER_POLL_MS = 100;
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * Transfers in cluster mode, on whichever instance the request reached. A call run here goes to this
 * instance's party desk as before. A cold transfer of a call another instance runs is recorded for
 * the owner of the call's server (party-requests.ts), which checks it with its party desk (the
 * requester, the call's state, the agent or every rule for a typed number) and carries it out; the
 * answer it writes is the one given here. The agents offered come from the database: active, on
 * the call's route, with a phone and no live call anywhere in the cluster. Consultations and
 * conferences stay with the instance that runs the call.
 */
export class ClusterParties implements CallParties {
  constructor(private readonly deps: ClusterPartiesDeps) {}

  /** Typed numbers a rule refused here (the abuse alerts count them); the owner's refusals are counted where it runs. */
  get refusals(): Observable<RefusedRequest> {
    return this.deps.local.refusals;
  }

  async transfer(callId: string, by: PartyRequester, to: PartyTarget, mode: TransferMode): Promise<PartyAnswer> {
    const { local } = this.deps;
    if (this.deps.runsHere(callId) || mode !== 'cold') return local.transfer(callId, by, to, mode);
    const row = await this.deps.clusterCalls.liveCall(callId);
    if (!row || row.stage === 'requested') return local.transfer(callId, by, to, mode);
    const id = (this.deps.newId ?? randomUUID)();
    if (!await this.deps.requests.request(id, callId, by, to, mode)) return { ok: false, refusal: 'no_such_call' };
    return this.answerOf(id);
  }

  addParty(callId: string, by: PartyRequester, to: PartyTarget): Promise<PartyAnswer> {
    return this.deps.local.addParty(callId, by, to);
  }

  finishConsult(callId: string, by: PartyRequester, how: ConsultEnd): Promise<{ ok: true } | { ok: false; refusal: PartyRefusal }> {
    return this.deps.local.finishConsult(callId, by, how);
  }

  async transferCandidates(callId: string, by: PartyRequester): Promise<TransferCandidate[]> {
    const { local, clusterCalls, agents, calls } = this.deps;
    if (this.deps.runsHere(callId)) return local.transferCandidates(callId, by);
    const row = await clusterCalls.liveCall(callId);
    if (!row || row.stage === 'requested') return [];
    // Who answers for the call now is the agent the row has on it (a transfer changes it).
    const answers = by.agentId !== null && (await clusterCalls.liveCallOfAgent(by.agentId))?.id === callId;
    if (!answers && !by.isAdmin) return [];
    const onRoute = await agents.activeAgentsOnRoute(row.context.route);
    const free = await Promise.all(onRoute.map(async (agent) => {
      // The one on this call (or any other live call of the cluster) is not free.
      if (!agent.phone || await clusterCalls.liveCallOfAgent(agent.id)) return false;
      const latest = await calls.latestPlacedCallOfAgent(agent.id);
      return latest === null || latest.endedAt !== null;
    }));
    return onRoute.filter((_, i) => free[i]).map((agent) => ({ agentId: agent.id, label: agent.displayName || (agent.phone ? formatForDisplay(agent.phone) : `agent ${agent.id}`) }));
  }

  /** Waits for the owner's answer; a request no owner claims in time is withdrawn and answered 'not_now'. */
  private async answerOf(id: string): Promise<PartyAnswer> {
    const pollMs = this.deps.answerPollMs ?? ANSWER_POLL_MS;
    const started = Date.now();
    for (;;) {
      const answer = await this.deps.requests.answerOf(id);
      if (typeof answer === 'object') return answer;
      const waited = Date.now() - started;
      if (answer === 'waiting' && waited > (this.deps.unclaimedTimeoutMs ?? STALE_REQUEST_MS) && await this.deps.requests.withdraw(id)) return { ok: false, refusal: 'not_now' };
      if (answer === 'claimed' && waited > (this.deps.answerTimeoutMs ?? ANSWER_TIMEOUT_MS)) return { ok: false, refusal: 'not_now' };
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/**
 * The owner's side: each round, the server's waiting transfer requests are claimed under its lease,
 * carried out by this instance's party desk (every check again, here) and answered on their rows.
 */
export function servePartyRequests(requests: PartyRequests, local: CallParties): (serverId: string, fence: Fence) => Promise<void> {
  return async (serverId, fence) => {
    for (const row of await requests.claim(serverId, fence)) {
      const answer = await local.transfer(row.callId, row.by, row.to, row.mode);
      await requests.answer(row.id, answer, fence);
    }
  };
}
