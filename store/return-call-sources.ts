/**
 * What a return call is routed by, read from the stores: the caller-ID pool, the agents' earlier
 * calls to the customer, the active agents, when each last called, and the do-not-call list. It
 * has the shape of the engine's ReturnCallSources (engine/return-call-intake.ts).
 */
import type { RouteCode } from '../call/call-types';
import type { Agent, Call } from '../entities';
import type { AgentStore } from './agent-store';
import type { CallStore } from './call-store';
import type { CallerIdStore } from './caller-id-store';
import type { DncStore } from './dnc-store';

export function returnCallSourcesOf(stores: { callerIds: CallerIdStore; calls: CallStore; agents: AgentStore; dnc: DncStore }) {
  return {
    poolRoutesOf: async (number: string): Promise<RouteCode[]> => (await stores.callerIds.routesOf(number)).map((e) => e.route),
    callsToCustomerSince: (target: string, since: Date): Promise<Call[]> => stores.calls.callsToCustomerSince(target, since),
    activeAgents: async (): Promise<Agent[]> => (await stores.agents.list()).filter((a) => a.status === 'active'),
    idleSince: async (agentId: number): Promise<Date | null> => (await stores.calls.latestPlacedCallOfAgent(agentId))?.endedAt ?? null,
    doNotCallListing: async (number: string): Promise<string | null> => {
      const entry = await stores.dnc.lookup(number);
      return entry ? (entry.reason || entry.kind) : null;
    },
  };
}
