/**
 * Who a customer calling back reaches: the decision the engine asks for when a call comes in on a
 * trunk, from plain values read out of the pool, the calls table and the agents. Pure: the engine
 * reads, this file decides (the return call's steps are call/return-call.ts's).
 */
import type { RouteCode } from './call-types';

/** One earlier call to this customer, as the calls table has it. */
export interface EarlierCall {
  callId: string;
  agentId: number;
  route: RouteCode;
  /** The caller ID the customer saw (null when the route sent none). */
  callerId: string | null;
  /** Epoch ms the call was requested. */
  at: number;
  disposition?: string | null;
  note?: string | null;
}

/** An agent who might take the call, and whether they can right now. */
export interface AgentAvailability {
  agentId: number;
  route: RouteCode | null;
  /** Active (neither pending, revoked nor suspended) with a phone to ring. */
  reachable: boolean;
  /** On a live call (or about to place one). */
  busy: boolean;
  /** Epoch ms their last call ended; null when they never called. */
  idleSince: number | null;
}

/** Why an agent is asked: the one who last called this customer from the number, another who called them, or anyone free on the route. */
export type CandidateReason = 'last_caller' | 'caller' | 'idle';

export interface ReturnCallCandidate {
  agentId: number;
  reason: CandidateReason;
}

export interface ReturnCallQuestion {
  /** The number the customer dialled (the trunk's called number, E.164). */
  calledNumber: string;
  /** The routes whose caller-ID pool holds `calledNumber`; empty when it is not ours. */
  poolRoutes: readonly RouteCode[];
  /** Calls to this customer, any order. */
  earlierCalls: readonly EarlierCall[];
  agents: readonly AgentAvailability[];
  now: number;
  windowDays: number;
}

export type ReturnCallRouting =
  | { kind: 'refused'; reason: 'not_in_pool' }
  /**
   * `lastCall`: the latest call to this customer from the number within the window, whose agent
   * is told of a missed call; `candidates`: who to ring, in order (may be empty: nobody is free).
   */
  | { kind: 'route'; route: RouteCode; candidates: ReturnCallCandidate[]; lastCall?: EarlierCall };

const DAY_MS = 24 * 60 * 60 * 1000;

export function routeReturnCall(q: ReturnCallQuestion): ReturnCallRouting {
  if (q.poolRoutes.length === 0) return { kind: 'refused', reason: 'not_in_pool' };
  const since = q.now - q.windowDays * DAY_MS;
  const recent = q.earlierCalls.filter((c) => c.at >= since && c.at <= q.now).sort((a, b) => b.at - a.at);
  const lastCall = recent.find((c) => c.callerId === q.calledNumber && q.poolRoutes.includes(c.route));
  const route = lastCall?.route ?? q.poolRoutes[0]!;
  const free = new Map(q.agents.filter((a) => a.route === route && a.reachable && !a.busy).map((a) => [a.agentId, a]));
  const candidates: ReturnCallCandidate[] = [];
  const take = (agentId: number, reason: CandidateReason) => {
    if (!free.has(agentId) || candidates.some((c) => c.agentId === agentId)) return;
    candidates.push({ agentId, reason });
  };
  if (lastCall) take(lastCall.agentId, 'last_caller');
  for (const call of recent) if (call.route === route) take(call.agentId, 'caller');
  const idle = [...free.values()].sort((a, b) => idleRank(a) - idleRank(b) || a.agentId - b.agentId);
  for (const agent of idle) take(agent.agentId, 'idle');
  return { kind: 'route', route, candidates, ...(lastCall ? { lastCall } : {}) };
}

/** The longest idle first; an agent who never called has been idle longest of all. */
function idleRank(agent: AgentAvailability): number {
  return agent.idleSince ?? Number.NEGATIVE_INFINITY;
}

/**
 * Who a return call still ringing `ringing` goes on to after a restart or a take-over: routing asked
 * again on the call's route (its sources read afresh, so busy and revoked agents are left out), the
 * candidates after `ringing` in that order, none of those the call rang already (`rung`). The agent
 * being rung counts as free for finding their place: the call they are busy with is this one.
 */
export function candidatesAfter(q: Omit<ReturnCallQuestion, 'poolRoutes'> & { route: RouteCode }, ringing: number, rung: readonly number[]): ReturnCallCandidate[] {
  const agents = q.agents.map((a) => (a.agentId === ringing ? { ...a, busy: false, reachable: true } : a));
  const routing = routeReturnCall({ ...q, poolRoutes: [q.route], agents });
  if (routing.kind === 'refused') return [];
  const at = routing.candidates.findIndex((c) => c.agentId === ringing);
  return routing.candidates.slice(at + 1).filter((c) => c.agentId !== ringing && !rung.includes(c.agentId));
}
