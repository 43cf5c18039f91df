import type { Call } from '../entities';

/** One agent's share of a period: calls placed, answered by the customer, and talk time. */
export interface AgentFigures {
  agentId: number;
  calls: number;
  answered: number;
  talkSeconds: number;
}

/**
 * The figures of a period. A call counts once it was placed: requests refused by a rule never rang
 * anyone and are left out. Answered means the customer answered (the call connected); talk time runs
 * from then to the call's end.
 */
export interface CallStats {
  calls: number;
  answered: number;
  talkSeconds: number;
  /** Calls and answered calls by local hour of the day (24 entries; a week's days are added up). */
  byHour: { calls: number; answered: number }[];
  /** By agent who placed the call, most talk time first once `finishStats` has run. */
  agents: AgentFigures[];
}

export function emptyStats(): CallStats {
  return { calls: 0, answered: 0, talkSeconds: 0, byHour: Array.from({ length: 24 }, () => ({ calls: 0, answered: 0 })), agents: [] };
}

/** The seconds a call's parties talked, whole; 0 for one never connected or not ended. */
export function talkSecondsOf(call: Pick<Call, 'connectedAt' | 'endedAt'>): number {
  if (!call.connectedAt || !call.endedAt) return 0;
  return Math.max(0, Math.round((call.endedAt.getTime() - call.connectedAt.getTime()) / 1000));
}

/** Adds a page of calls to the figures; `hourOf` is the call's local hour in the report's zone. */
export function addCalls(stats: CallStats, calls: readonly Call[], hourOf: (at: Date) => number): CallStats {
  const agents = new Map(stats.agents.map((a) => [a.agentId, { ...a }]));
  const byHour = stats.byHour.map((h) => ({ ...h }));
  let { calls: count, answered, talkSeconds } = stats;
  for (const call of calls) {
    if (call.outcome === 'refused') continue;
    const talk = talkSecondsOf(call);
    const wasAnswered = call.connectedAt !== null ? 1 : 0;
    count += 1;
    answered += wasAnswered;
    talkSeconds += talk;
    const hour = byHour[hourOf(call.requestedAt)]!;
    hour.calls += 1;
    hour.answered += wasAnswered;
    const agent = agents.get(call.agentId) ?? { agentId: call.agentId, calls: 0, answered: 0, talkSeconds: 0 };
    agent.calls += 1;
    agent.answered += wasAnswered;
    agent.talkSeconds += talk;
    agents.set(call.agentId, agent);
  }
  return { calls: count, answered, talkSeconds, byHour, agents: [...agents.values()] };
}

/** The agents in the order a chart and a list show them: most talk time first, then most calls. */
export function finishStats(stats: CallStats): CallStats {
  return { ...stats, agents: [...stats.agents].sort((a, b) => b.talkSeconds - a.talkSeconds || b.calls - a.calls || a.agentId - b.agentId) };
}

/** Answered calls as a share of placed ones, 0 to 1; 0 when none were placed. */
export function answerRate(stats: Pick<CallStats, 'calls' | 'answered'>): number {
  return stats.calls === 0 ? 0 : stats.answered / stats.calls;
}
