/** The engine's calls and the stored rows, as the Mini App's page shows them (miniapp-types.ts). */
import type { CallUpdate } from '../call/call-update';
import type { LiveCallSummary } from '../engine/call-desk';
import type { Call, ScheduledCallback } from '../entities';
import { formatForDisplay } from '../phone/number-policy';
import { talkSecondsOf } from '../reports/call-stats';
import { MINIAPP, T, formatDuration, outcomeName, outcomeText } from '../telegram/texts';
import type { CallCard, PendingCallback, RecentCall } from './miniapp-types';

export function cardOfUpdate(update: CallUpdate): CallCard {
  const { context } = update;
  return {
    callId: context.callId,
    stage: update.stage,
    status: update.final && update.outcome
      ? outcomeText(update.outcome, { endedBy: update.endedBy ?? null, talkSeconds: update.talkSeconds ?? null, ...(update.failure ? { failure: update.failure } : {}) })
      : MINIAPP.stage[update.stage],
    customer: formatForDisplay(context.target),
    route: context.route,
    callerId: context.callerId,
    final: update.final,
    ...(update.final ? { talkSeconds: update.talkSeconds ?? null } : {}),
  };
}

export function cardOfLive(live: LiveCallSummary): CallCard {
  return cardOfUpdate({ context: live.context, stage: live.stage, at: 0, final: false });
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
