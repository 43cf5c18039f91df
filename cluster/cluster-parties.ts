import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { ConsultEnd, PartyTarget, TransferMode } from '../call/call-types';
import type { RefusedRequest } from '../engine/call-intake';
import type { CallParties, PartyAnswer, PartyRefusal, PartyRequester, TransferCandidate } from '../engine/call-parties';
import type { PartyAgents } from '../engine/call-parties-desk';
import { formatForDisplay } from '../phone/number-policy';
import type { ClusterCallStore } from './cluster-call-store';
import type { Fence } from './fenced-update';
import type { PartyAsk, PartyRequestAnswer, PartyRequestRow, PartyRequests } from './party-requests';
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

type FinishAnswer = { ok: true } | { ok: false; refusal: PartyRefusal };
/** What this instance answers by itself for a call another instance runs. */
type NotCarriedOut = { ok: false; refusal: 'not_now' | 'not_reached' | 'no_such_call' };

/**
 * Party requests in cluster mode, on whichever instance the request reached. A call run here goes
 * to this instance's party desk as before. A transfer (cold or warm), an added party or a
 * consultation's end (complete, back, conference) of a call another instance runs is recorded for
 * the owner of the call's server (party-requests.ts), which checks it with its party desk (the
 * requester, the call's state, the agent or every rule for a typed number) and carries it out; the
 * answer it writes is the one given here. The consultation itself runs on the owner, so its end may
 * be asked for anywhere. The agents offered come from the database: active, on the call's route,
 * with a phone and no live call anywhere in the cluster.
 */
export class ClusterParties implements CallParties {
  constructor(private readonly deps: ClusterPartiesDeps) {}

  /** Typed numbers a rule refused here (the abuse alerts count them); the owner's refusals are counted where it runs. */
  get refusals(): Observable<RefusedRequest> {
    return this.deps.local.refusals;
  }

  transfer(callId: string, by: PartyRequester, to: PartyTarget, mode: TransferMode): Promise<PartyAnswer> {
    return this.ofOwner(callId, by, { kind: 'transfer', to, mode }, () => this.deps.local.transfer(callId, by, to, mode));
  }

  addParty(callId: string, by: PartyRequester, to: PartyTarget): Promise<PartyAnswer> {
    return this.ofOwner(callId, by, { kind: 'add', to }, () => this.deps.local.addParty(callId, by, to));
  }

  finishConsult(callId: string, by: PartyRequester, how: ConsultEnd): Promise<FinishAnswer> {
    return this.ofOwner(callId, by, { kind: 'finish', how }, () => this.deps.local.finishConsult(callId, by, how));
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

  /**
   * The request carried out here when this instance runs the call (or no row says it is live
   * anywhere), otherwise by the owner of its server. A call the database still has live is never
   * answered as ended: one not started yet is answered 'not_now', one its owner did not find (a
   * take-over under way) 'not_reached'.
   */
  private async ofOwner<A extends PartyRequestAnswer>(callId: string, by: PartyRequester, ask: PartyAsk, here: () => Promise<A>): Promise<A | NotCarriedOut> {
    if (this.deps.runsHere(callId)) return here();
    const row = await this.deps.clusterCalls.liveCall(callId);
    if (!row) return here();
    if (row.stage === 'requested') return { ok: false, refusal: 'not_now' };
    const id = (this.deps.newId ?? randomUUID)();
    if (!await this.deps.requests.request(id, callId, by, ask)) return { ok: false, refusal: 'no_such_call' };
    const answer = await this.answerOf<A>(id);
    if (!answer.ok && answer.refusal === 'no_such_call' && await this.deps.clusterCalls.liveCall(callId)) return { ok: false, refusal: 'not_reached' };
    return answer;
  }

  /** Waits for the owner's answer; a request no owner claims (or answers) in time is answered 'not_reached' (an unclaimed one withdrawn). */
  private async answerOf<A extends PartyRequestAnswer>(id: string): Promise<A | NotCarriedOut> {
    const pollMs = this.deps.answerPollMs ?? ANSWER_POLL_MS;
    const started = Date.now();
    for (;;) {
      const answer = await this.deps.requests.answerOf(id);
      // The owner answered with its party desk's answer to the same ask.
      if (typeof answer === 'object') return answer as A;
      const waited = Date.now() - started;
      if (answer === 'waiting' && waited > (this.deps.unclaimedTimeoutMs ?? STALE_REQUEST_MS) && await this.deps.requests.withdraw(id)) return { ok: false, refusal: 'not_reached' };
      if (answer === 'claimed' && waited > (this.deps.answerTimeoutMs ?? ANSWER_TIMEOUT_MS)) return { ok: false, refusal: 'not_reached' };
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/**
 * The owner's side: each round, the server's waiting party requests are claimed under its lease,
 * carried out by this instance's party desk (every check again, here: who asks, the call's state,
 * whom to dial) and answered on their rows. One that waited longer than its asker waits for a claim
 * (its asker gone, or told 'not_reached' already) is answered 'not_now' and not carried out.
 */
export function servePartyRequests(requests: PartyRequests, local: CallParties): (serverId: string, fence: Fence) => Promise<void> {
  return async (serverId, fence) => {
    for (const row of await requests.claim(serverId, fence)) {
      const answer: PartyRequestAnswer = row.waitedMs > STALE_REQUEST_MS ? { ok: false, refusal: 'not_now' } : await carryOut(local, row);
      await requests.answer(row.id, answer, fence);
    }
  };
}

function carryOut(local: CallParties, { callId, by, ask }: PartyRequestRow): Promise<PartyRequestAnswer> {
  switch (ask.kind) {
    case 'transfer': return local.transfer(callId, by, ask.to, ask.mode);
    case 'add': return local.addParty(callId, by, ask.to);
    case 'finish': return local.finishConsult(callId, by, ask.how);
  }
}
