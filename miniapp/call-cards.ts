/** The engine's calls and the stored rows, as the Mini App's page shows them (miniapp-types.ts). */
import type { LegRole, PartyView } from '../call/call-types';
import type { CallUpdate } from '../call/call-update';
import type { LiveCallSummary } from '../engine/call-desk';
import type { Call, ScheduledCallback } from '../entities';
import { formatForDisplay } from '../phone/number-policy';
import { talkSecondsOf } from '../reports/call-stats';
import { type PartyControls, consultedOf, controlsOf, ownerOf, transferredTo } from '../telegram/party-status';
import { MINIAPP, PARTY, T, formatDuration, outcomeName, outcomeText } from '../telegram/texts';
import type { CallCard, CardControls, PendingCallback, RecentCall } from './miniapp-types';

/**
 * The call as `viewerAgentId` sees it: the buttons beside Hang up are the ones its status message
 * gives the call's owner (telegram/party-status.ts); once the call passed from the viewer (a
 * transfer completed), it says to whom, as the status message does, and offers nothing.
 */
export function cardOfUpdate(update: CallUpdate, viewerAgentId: number): CallCard {
  const { context } = update;
  const seen = partiesSeenBy(update, viewerAgentId);
  return {
    callId: context.callId,
    stage: update.stage,
    status: update.final && update.outcome
      ? outcomeText(update.outcome, { endedBy: update.endedBy ?? null, talkSeconds: update.talkSeconds ?? null, ...(update.failure ? { failure: update.failure } : {}) })
      : seen.passedTo !== undefined ? PARTY.transferredTo(seen.passedTo) : MINIAPP.stage[update.stage],
    customer: formatForDisplay(context.target),
    route: context.route,
    callerId: context.callerId,
    final: update.final,
    ...(update.final ? { talkSeconds: update.talkSeconds ?? null } : {}),
    ...seen.card,
  };
}

/** What the call's parties give the viewer's card: its buttons, who is consulted, and whom the call passed to (for its status). */
function partiesSeenBy(update: CallUpdate, viewerAgentId: number): { card: Pick<CallCard, 'controls' | 'consulted' | 'transferred'>; passedTo?: string } {
  const passed = update.final ? undefined : transferredTo(update, viewerAgentId);
  const controls: CardControls = passed || ownerOf(update) !== viewerAgentId ? 'none' : cardControlsOf(controlsOf(update));
  const consulted = consultedOf(update);
  return {
    card: {
      controls,
      ...(passed ? { transferred: true as const } : {}),
      ...((controls === 'consulting' || controls === 'consult_ringing') && consulted ? { consulted: formatForDisplay(consulted.label) } : {}),
    },
    ...(passed ? { passedTo: passed.label } : {}),
  };
}

/** The page offers Transfer where the status message offers Transfer and Add. */
function cardControlsOf(controls: PartyControls): CardControls {
  return controls === 'transfer_or_add' ? 'transfer' : controls;
}

/**
 * The agent's live call as read at the page's load. Its parties, when the engine gave them (a call
 * running here), set its buttons as an update's would; without them the card leaves its buttons to
 * the page (cluster mode reads such a call from its rows first: call-feed.ts).
 */
export function cardOfLive(live: LiveCallSummary, viewerAgentId: number): CallCard {
  const card = cardOfUpdate({
    context: live.context, stage: live.stage, at: 0, final: false,
    ...(live.parties ? { parties: [...live.parties] } : {}),
    ...(live.ownerAgentId !== undefined ? { ownerAgentId: live.ownerAgentId } : {}),
  }, viewerAgentId);
  if (live.parties) return card;
  const { controls: _unknown, ...withoutControls } = card;
  return withoutControls;
}

/** A leg's row (the call_legs table) as a stored card reads it. */
export interface StoredLeg {
  legId: string;
  role: LegRole | null;
  label: string | null;
  agentId: number | null;
  requestedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
}

/**
 * A stored call as the status card shows it; undefined for a request refused before its number was
 * read. Read with its legs' rows for a viewer (cluster mode, where another instance may run it), the
 * card gives the viewer the buttons an engine update would (cardOfUpdate); without them it leaves
 * the buttons to the page.
 */
export function cardOfCall(call: Call, seen?: { viewerAgentId: number; legs: readonly StoredLeg[] }): CallCard | undefined {
  if (!call.target || !call.route) return undefined;
  const final = call.stage === 'ended';
  const talkSeconds = call.connectedAt && call.endedAt ? talkSecondsOf(call) : null;
  const parties = seen ? partiesSeenBy(updateOfStored(call, call.target, call.route, seen.legs), seen.viewerAgentId) : undefined;
  return {
    callId: call.id,
    stage: call.stage,
    status: final && call.outcome ? outcomeText(call.outcome, { endedBy: call.endedBy, talkSeconds })
      : parties?.passedTo !== undefined ? PARTY.transferredTo(parties.passedTo) : MINIAPP.stage[call.stage],
    customer: formatForDisplay(call.target),
    route: call.route,
    callerId: call.callerId,
    final,
    ...(final ? { talkSeconds } : {}),
    ...parties?.card,
  };
}

/** The stored call and its legs as the update the engine would publish, as far as the card reads one. */
function updateOfStored(call: Call, target: string, route: NonNullable<Call['route']>, legs: readonly StoredLeg[]): CallUpdate {
  const parties = partiesOfLegs(legs);
  return {
    context: { callId: call.id, agentId: call.agentId, agentTelegramId: '', agentPhone: call.agentPhone ?? '', target, route, callerId: call.callerId },
    stage: call.stage, at: 0, final: call.stage === 'ended',
    parties, ownerAgentId: storedOwnerOf(call, parties),
  };
}

/**
 * The parties a call's legs' rows tell of, in the engine's terms (call/call-types.ts PartyView): a
 * leg ended once its end is written, on the line once answered, being dialed once asked for. The rows
 * do not record a hold, so a customer waiting on hold reads as on the line (the card does not tell
 * them apart). A row without its role yet (its first write still to land) is left out.
 */
export function partiesOfLegs(legs: readonly StoredLeg[]): PartyView[] {
  return legs.flatMap((leg): PartyView[] => (leg.role === null ? [] : [{
    legId: leg.legId,
    role: leg.role,
    label: leg.label ?? '',
    ...(leg.agentId !== null ? { agentId: leg.agentId } : {}),
    status: leg.endedAt ? 'ended' : leg.answeredAt ? 'up' : leg.requestedAt ? 'dialing' : 'created',
    ...(leg.answeredAt ? { answeredAt: leg.answeredAt.getTime() } : {}),
    ...(leg.endedAt ? { endedAt: leg.endedAt.getTime() } : {}),
  }]));
}

/**
 * The agent a stored call answers to now: the agent on it (the row's on_call_agent_id, which a
 * transfer hands on). Once no agent is on it (a cold transfer to a number), the engine keeps the
 * last one who held it: the latest agent leg, else the agent who placed it.
 */
export function storedOwnerOf(call: Pick<Call, 'agentId' | 'onCallAgentId'>, parties: readonly PartyView[]): number {
  if (call.onCallAgentId !== null) return call.onCallAgentId;
  return [...parties].reverse().find((p) => p.role === 'agent' && p.agentId !== undefined)?.agentId ?? call.agentId;
}

export function recentOf(call: Call): RecentCall {
  const talk = talkSecondsOf(call);
  return {
    callId: call.id,
    number: call.target,
    customer: call.target ? formatForDisplay(call.target) : call.targetInput,
    route: call.route,
    at: call.requestedAt.toISOString(),
    result: call.outcome ? outcomeName(call.outcome) : T.callInProgress,
    talk: call.connectedAt && call.endedAt ? formatDuration(talk) : null,
  };
}

export function pendingOf(callback: ScheduledCallback): PendingCallback {
  return {
    id: callback.id, number: callback.number, customer: formatForDisplay(callback.number), route: callback.route,
    dueAt: callback.dueAt.toISOString(), state: callback.state,
  };
}
