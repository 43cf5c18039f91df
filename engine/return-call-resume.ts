/**
 * A return call still ringing an agent when its process stopped (a restart, or a cluster's
 * take-over): whom it goes on to if that agent does not answer. Routing is asked again from the
 * same sources the intake reads (call/return-call-routing.ts candidatesAfter decides); this file
 * only reads them and makes the agents ringable.
 */
import type { ReturnCallAgent } from '../call/call-machine';
import { candidatesAfter } from '../call/return-call-routing';
import type { RouteCode } from '../call/call-types';
import { endpointOf } from './dial-checks';
import { type ReturnCallSettings, type ReturnCallSources, readRoutingInputs } from './return-call-intake';

/** A ringing return call's row as resuming reads it. */
export interface RingingReturnCall {
  route: RouteCode;
  /** The customer's number and the pool number they called. */
  customerNumber: string;
  calledNumber: string;
  /** The agent rung first (the row's agent) and the one rung now (the row's on-call agent). */
  firstAgentId: number;
  ringingAgentId: number;
}

/** How a resuming engine learns who a ringing return call goes on to (ResumeDeps.returnCalls). */
export interface ReturnCallResume {
  /** The agent rung now (undefined when no longer an active agent), and who comes after them, in order. */
  agentsAfter(call: RingingReturnCall): Promise<{ ringing?: ReturnCallAgent; next: ReturnCallAgent[] }>;
}

export interface ReturnCallResumeDeps {
  sources: ReturnCallSources;
  settings: Pick<ReturnCallSettings, 'windowDays'>;
  routes: Parameters<typeof endpointOf>[0];
  /** On a live call this engine runs. */
  isBusy(agentId: number): boolean;
  now: () => number;
}

export function returnCallResume(deps: ReturnCallResumeDeps): ReturnCallResume {
  return {
    async agentsAfter(call) {
      const { agents, availability, earlierCalls } = await readRoutingInputs(deps.sources, deps.settings, call.customerNumber, deps.now(), deps.isBusy);
      // The row keeps the first agent rung and the one rung now; any rung between them come before the latter in routing's order.
      const rung = [call.firstAgentId, call.ringingAgentId];
      const after = candidatesAfter({
        calledNumber: call.calledNumber, route: call.route, earlierCalls, agents: availability, now: deps.now(), windowDays: deps.settings.windowDays,
      }, call.ringingAgentId, rung);
      const byId = new Map(agents.map((a) => [a.id, a]));
      const ringable = (agentId: number, reason: ReturnCallAgent['reason']): ReturnCallAgent | undefined => {
        const agent = byId.get(agentId);
        if (!agent?.phone) return undefined;
        return { agentId, label: agent.displayName || agent.phone, endpoint: endpointOf(deps.routes, call.route, agent.phone), reason };
      };
      const ringing = ringable(call.ringingAgentId, call.ringingAgentId === call.firstAgentId ? 'last_caller' : 'caller');
      const next = after.flatMap((c) => ringable(c.agentId, c.reason) ?? []);
      return { ...(ringing ? { ringing } : {}), next };
    },
  };
}
