import type { CallState } from './call-machine';
import { talkSeconds } from './call-machine';
import { partiesOf } from './party-rules';
import { recordingView } from './recording';
import type { CallOutcome, CallStage, LegName, PartyView, RecordingView, RouteCode, CallFailure, LegId } from './call-types';

/** Who and what a call is about; fixed when the call is placed. */
export interface CallContext {
  callId: string;
  agentId: number;
  agentTelegramId: string;
  agentPhone: string;
  target: string;
  route: RouteCode;
  callerId: string | null;
  /** Set for a customer calling a pool number back (call/return-call.ts): what the agent's status message tells of it. */
  returnCall?: ReturnCallContext;
}

/** A return call as the agent reads it: who calls, which of our numbers, the earlier call it answers, a do-not-call listing. */
export interface ReturnCallContext {
  customerNumber: string;
  calledNumber: string;
  /** The latest call an agent placed to this customer from the number, within the window. */
  lastCall?: { callId: string; agentId: number; at: number; disposition?: string | null; note?: string | null };
  /** The customer's number is on the do-not-call list (they called us, so the call goes on): the listing's reason. */
  doNotCall?: string;
}

/** What subscribers (the bot, metrics, the admin view) see of a call after each transition. */
export interface CallUpdate {
  context: CallContext;
  stage: CallStage;
  outcome?: CallOutcome;
  endedBy?: LegName | 'app';
  talkSeconds?: number | null;
  hangupCause?: number | null;
  failure?: CallFailure;
  at: number;
  final: boolean;
  /** Every leg of the call but idle ones, in the order they were asked for (set once the call has more than its first two legs' worth to say). */
  parties?: PartyView[];
  /** The agent who answers for the call now: the one who placed it until a transfer passes it on. */
  ownerAgentId?: number;
  /** The leg the owner answers on (null once it left): with the call's id it names a transfer, so a restart re-derives it under the same id. */
  ownerLegId?: LegId | null;
  /** Set once the call's bridge recording was asked for; the final update's view names the stored recording to fetch. */
  recording?: RecordingView;
  /** The customer answered and hears the consent announcement before being joined (the route's policy `consent`). */
  announcing?: boolean;
  /** The customer's network played its own audio (ringback, an announcement) before any answer; the agent heard it instead of callbot's ringback. */
  earlyMedia?: true;
  /** A return call: the agent whose phone rings (or who answered) now; it changes as the call falls back to the next agent. */
  ringingAgentId?: number;
}

/** The update for `stage`, reached at `at`; a final one carries the ended call's outcome from `state`. */
export function toCallUpdate(context: CallContext, stage: CallStage, state: CallState, at: number): CallUpdate {
  const final = stage === 'ended';
  const update: CallUpdate = {
    context,
    stage,
    at,
    final,
  };
  // A two-party call's updates stay as they were; once it has gained a party, every update says who is on it.
  if (state.legs.length > 2) {
    update.parties = partiesOf(state);
    update.ownerAgentId = state.owner.agentId;
    update.ownerLegId = state.owner.legId;
  }
  if (state.recording) update.recording = recordingView(state.recording);
  if (state.announcing && !final) update.announcing = true;
  if (state.earlyMediaAt !== undefined) update.earlyMedia = true;
  if (state.plan.returnCall) {
    // A return call passes from agent to agent until one answers: each rung agent is its owner for the while, named in the parties.
    update.ringingAgentId = state.owner.agentId;
    update.ownerAgentId = state.owner.agentId;
    update.ownerLegId = state.owner.legId;
    update.parties ??= partiesOf(state);
  }
  if (final && state.outcome) {
    const talk = talkSeconds(state);
    update.outcome = state.outcome;
    update.endedBy = state.endedBy;
    update.talkSeconds = talk;
    update.hangupCause = state.hangupCause ?? null;
    if (state.failure) update.failure = state.failure;
  }
  return update;
}
