/** The engine's calls and the stored rows, as the Mini App's page shows them (miniapp-types.ts). */
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
  const passed = update.final ? undefined : transferredTo(update, viewerAgentId);
  const controls: CardControls = passed || ownerOf(update) !== viewerAgentId ? 'none' : cardControlsOf(controlsOf(update));
  const consulted = consultedOf(update);
  return {
    callId: context.callId,
    stage: update.stage,
    status: update.final && update.outcome
      ? outcomeText(update.outcome, { endedBy: update.endedBy ?? null, talkSeconds: update.talkSeconds ?? null, ...(update.failure ? { failure: update.failure } : {}) })
      : passed ? PARTY.transferredTo(passed.label) : MINIAPP.stage[update.stage],
    customer: formatForDisplay(context.target),
    route: context.route,
    callerId: context.callerId,
    final: update.final,
    ...(update.final ? { talkSeconds: update.talkSeconds ?? null } : {}),
    controls,
    ...(passed ? { transferred: true } : {}),
    ...((controls === 'consulting' || controls === 'consult_ringing') && consulted ? { consulted: formatForDisplay(consulted.label) } : {}),
  };
}

/** The page offers Transfer where the status message offers Transfer and Add. */
function cardControlsOf(controls: PartyControls): CardControls {
  return controls === 'transfer_or_add' ? 'transfer' : controls;
}

/**
 * The agent's live call as read at the page's load. Its parties, when the engine gave them (a call
 * running here), set its buttons as an update's would; without them (cluster mode reads the row)
 * the card leaves its buttons to the page.
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

/** A stored call as the status card shows it; undefined for a request refused before its number was read. */
export function cardOfCall(call: Call): CallCard | undefined {
  if (!call.target || !call.route) return undefined;
  const final = call.stage === 'ended';
  const talkSeconds = call.connectedAt && call.endedAt ? talkSecondsOf(call) : null;
  return {
    callId: call.id,
    stage: call.stage,
    status: final && call.outcome ? outcomeText(call.outcome, { endedBy: call.endedBy, talkSeconds }) : MINIAPP.stage[call.stage],
    customer: formatForDisplay(call.target),
    route: call.route,
    callerId: call.callerId,
    final,
    ...(final ? { talkSeconds } : {}),
  };
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
