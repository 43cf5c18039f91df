/**
 * The party desk's view of this process's engines and of the pure core: which calls run here, their
 * machine's state, and the machine's own reading of it (call/party-rules.ts); and the desk itself,
 * built alike for one engine (a single instance) and for several (cluster mode: this instance's servers).
 */
import type { CallState } from '../call/call-machine';
import { canAddParty, canFinishConsult, canTransfer, ownerOf, partiesOf } from '../call/party-rules';
import type { CallRule } from '../compliance/rules/call-rule';
import type { Config } from '../config/config';
import type { CallEngine } from './call-engine';
import type { AuditTrail } from './call-engine-ports';
import { CallPartiesDesk, type CallPartiesDeskDeps, type PartyAgents, type PartyCore, type PartyEngine, firstRunning } from './call-parties-desk';
import { dialChecksOf } from './dial-checks';

export function partyEngineOf(engine: CallEngine): PartyEngine<CallState> {
  return {
    callState: (callId) => engine.callState(callId),
    callContext: (callId) => engine.liveCall(callId)?.context,
    sendPartyEvent: (callId, event) => engine.sendPartyEvent(callId, event),
    liveCallsOnRoute: (route) => engine.liveCallsOnRoute(route),
    agentOnCall: (agentId) => engine.liveCallOfAgent(agentId) !== undefined
      || engine.liveCalls().some((call) => {
        const state = engine.callState(call.context.callId);
        return state?.legs.some((leg) => leg.agentId === agentId && leg.status !== 'ended') ?? false;
      }),
  };
}

export const CALL_PARTY_CORE: PartyCore<CallState> = {
  canTransfer, canAddParty, canFinishConsult, partiesOf,
  ownerOf: (state) => ownerOf(state).agentId,
};

/** What the party desk reads besides the engines: agents, calls, the audit log, and the rules a typed number passes. */
export interface PartyDeskParts {
  config: Config;
  agents: PartyAgents;
  calls: CallPartiesDeskDeps<CallState>['calls'];
  audit: AuditTrail;
  /** The same rules a `/call` passes (compliance/rules). */
  rules: readonly CallRule[];
}

/**
 * The desk for the calls the given engines run: one engine on a single instance; in cluster mode the
 * engines of the servers this instance owns now (a call another instance runs is answered 'no_such_call').
 */
export function callPartiesDesk(engines: CallEngine | (() => readonly (CallEngine | undefined)[]), parts: PartyDeskParts): CallPartiesDesk<CallState> {
  const engine = typeof engines === 'function'
    ? firstRunning(() => engines().map((e) => (e ? partyEngineOf(e) : undefined)))
    : partyEngineOf(engines);
  const { config, agents, calls, audit, rules } = parts;
  return new CallPartiesDesk({ engine, core: CALL_PARTY_CORE, agents, calls, audit, checks: dialChecksOf({ config, rules }), config });
}
