/**
 * The supervisors' wallboard, read afresh when asked: the live calls (the desk's), every agent by
 * state, and today's figures (reports/call-stats.ts, in the reports' time zone).
 */
import type { Config } from '../config/config';
import type { CallStage } from '../call/call-types';
import type { CallDesk, LiveCallSummary } from '../engine/call-desk';
import type { Agent, Call } from '../entities';
import { formatForDisplay } from '../phone/number-policy';
import { addCalls, answerRate, emptyStats } from '../reports/call-stats';
import { localHour, statsPeriod } from '../reports/report-period';
import { MINIAPP, formatDuration } from '../telegram/texts';
import type { AgentState, SupervisorAction, Wallboard } from './miniapp-types';

/** Without a required disposition, an agent is in after-call work this long after a connected call ends. */
export const AFTER_CALL_WINDOW_MS = 5 * 60_000;

const RINGING: readonly CallStage[] = ['requested', 'agent_dialing', 'agent_ringing'];

export interface WallboardSources {
  config: Pick<Config, 'afterCall' | 'reports'>;
  desk: Pick<CallDesk, 'liveCalls'>;
  agents: { list(): Promise<Agent[]> };
  calls: { recentCallsOfAgent(agentId: number, limit?: number): Promise<Call[]> };
  reports: { callPages(range: { from: Date; to: Date }): AsyncGenerator<Call[]> };
  /** The supervisor actions the service has (the supervisors' capability, when present). */
  actions: readonly SupervisorAction[];
  now: () => number;
}

export async function readWallboard(s: WallboardSources): Promise<Wallboard> {
  const now = s.now();
  const [live, agents] = await Promise.all([s.desk.liveCalls(), s.agents.list()]);
  const shown = agents.filter((a) => a.status === 'active' || a.status === 'suspended');
  const names = new Map(agents.map((a) => [a.id, a.displayName]));
  const states = await Promise.all(shown.map((a) => stateOf(a, live, s, now)));
  const zone = s.config.reports.timeZone;
  let stats = emptyStats();
  for await (const page of s.reports.callPages(statsPeriod('today', now, zone))) stats = addCalls(stats, page, (at) => localHour(at.getTime(), zone));
  return {
    at: now,
    liveCalls: live.map((c) => ({
      callId: c.context.callId, agent: names.get(c.context.agentId) ?? `#${c.context.agentId}`, customer: formatForDisplay(c.context.target),
      route: c.context.route, stage: c.stage, status: MINIAPP.stage[c.stage],
    })),
    agents: shown.map((a, i) => ({ id: a.id, name: a.displayName, state: states[i]! })),
    today: { calls: stats.calls, answered: stats.answered, answerRatePct: Math.round(answerRate(stats) * 100), talk: formatDuration(stats.talkSeconds) },
    actions: [...s.actions],
  };
}

async function stateOf(agent: Agent, live: readonly LiveCallSummary[], s: WallboardSources, now: number): Promise<AgentState> {
  if (agent.status === 'suspended') return 'suspended';
  const own = live.find((c) => c.context.agentId === agent.id);
  if (own) return RINGING.includes(own.stage) ? 'ringing' : 'in_call';
  const [last] = await s.calls.recentCallsOfAgent(agent.id, 1);
  if (!last?.endedAt || !last.connectedAt || last.disposition) return 'idle';
  // A required disposition holds the agent's next call back until chosen; otherwise the work is the moments after.
  if (s.config.afterCall.requireDisposition) return 'after_call';
  return now - last.endedAt.getTime() < AFTER_CALL_WINDOW_MS ? 'after_call' : 'idle';
}
