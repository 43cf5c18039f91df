/**
 * The party desk's view of this process's engine and of the pure core: which calls run here, their
 * machine's state, and the machine's own reading of it (call/party-rules.ts).
 */
import type { CallState } from '../call/call-machine';
import { canAddParty, canFinishConsult, canTransfer, ownerOf, partiesOf } from '../call/party-rules';
import type { CallEngine } from './call-engine';
import type { PartyCore, PartyEngine } from './call-parties-desk';

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
