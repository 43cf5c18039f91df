import { map } from 'rxjs';
import { formatForDisplay } from '../../phone/number-policy';
import type { PlaceCallResult } from '../../engine/call-engine';
import { dispositionChoice, routeChoiceThenCall } from '../menus/keyboards';
import type { BotDeps, Incoming } from '../handler-context';
import { activeAgent } from '../roles';
import { type CallStatusDeps, showCallStatus } from '../call-status';
import { T, callRefusalText, ruleWaitText } from '../texts';

/** /call <number>: the checks the bot can answer at once, then the engine. */
export async function onCall(m: Incoming): Promise<void> {
  if (!m.args) {
    await m.reply(T.usage.call);
    return;
  }
  await placeCall(m, m.args);
}

/** Places a call as /call does; whether it went out (a refusal was told to the agent). */
export async function placeCall(m: Incoming, targetInput: string): Promise<boolean> {
  return (await placeCallFor(m, targetInput))?.ok === true;
}

/** Places a call as /call does, and says what came of it (a refusal is told to the agent); undefined when they may not call. */
export async function placeCallFor(m: Incoming, targetInput: string, apiRequestId?: string): Promise<PlaceCallResult | undefined> {
  const { deps } = m;
  const agent = activeAgent(m.role);
  if (!agent) {
    await m.reply(T.notAllowed);
    return undefined;
  }
  const result = await deps.desk.placeCall({
    agentTelegramId: agent.telegramId, targetInput, telegramChatId: String(m.chatId),
    // A request held for its route's set-up slot says so at once; the status follows when it goes.
    onWaiting: (wait) => { void m.reply(ruleWaitText(wait)); },
    ...(m.receivedAt !== undefined ? { receivedAt: m.receivedAt } : {}), ...(m.sentAt !== undefined ? { sentAt: m.sentAt } : {}),
    ...(apiRequestId ? { apiRequestId } : {}),
  });
  if (!result.ok) {
    // Revoked or suspended while it waited: the admin's action tells the agent why, once.
    if (result.refusal === 'stopped') return result;
    // Without a route the agent chooses one first; the checked number rides along in the buttons.
    if (result.refusal === 'no_route' && result.target) {
      await m.reply(`${T.chooseRouteFirst}\n${formatForDisplay(result.target)}`, routeChoiceThenCall(result.target));
      return result;
    }
    // The call waiting for its outcome gets its buttons here too: its status may be far up the chat, or lost.
    const waiting = result.rule?.rule === 'disposition_required' ? result.rule : undefined;
    const markup = waiting && dispositionChoice({ callId: waiting.callId, outcome: waiting.outcome, codes: deps.config.afterCall.dispositions });
    await m.reply(callRefusalText(result.refusal, result.number, result.rule), markup);
    return result;
  }
  // In cluster mode the owner of the call's Asterisk server runs it and shows its status.
  if (result.runsHere) showLiveStatus(m, result);
  return result;
}

function showLiveStatus(m: Incoming, result: Extract<PlaceCallResult, { ok: true }>): void {
  const { deps } = m;
  // The handler does not wait: the chat's next update (a tap on Hang up) must not queue behind the call.
  showCallStatus(
    statusDepsOf(deps), { chatId: m.chatId, context: result.context, stage: 'requested' }, result.updates,
    (chatId, messageId) => deps.desk.attachStatusMessage(result.callId, chatId, messageId),
  );
}

/** How this bot shows a call's status: the same for a call placed here and one a restart resumed. */
export function statusDepsOf(deps: BotDeps): CallStatusDeps {
  return {
    out: deps.out, logger: deps.logger, statusEditIntervalMs: deps.statusEditIntervalMs, ...(deps.config.agentConfirmDigit ? { confirmDigit: deps.config.agentConfirmDigit } : {}),
    partyButtons: deps.parties !== undefined, views: deps.views, dispositions: deps.config.afterCall.dispositions,
    chatOfAgent: async (agentId) => (await deps.stores.agents.byId(agentId))?.telegramId,
    ...(deps.config.monitorNotice && deps.supervision
      ? { monitoring: deps.supervision.updates.pipe(map((v) => ({ callId: v.callId, monitored: v.stage === 'active' }))) } : {}),
  };
}


/** /hangup: ends the agent's own live call. */
export async function onHangup(m: Incoming): Promise<void> {
  const agent = activeAgent(m.role);
  const live = agent && await m.deps.desk.liveCallOfAgent(agent.id);
  if (!live) {
    await m.reply(T.noLiveCall);
    return;
  }
  await m.deps.desk.cancelCall(live.context.callId, 'agent');
}
