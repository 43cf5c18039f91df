import { formatForDisplay } from '../../phone/number-policy';
import type { PlaceCallResult } from '../../stasis/call-engine';
import { routeChoiceThenCall } from '../menus/keyboards';
import type { Incoming } from '../handler-context';
import { activeAgent } from '../roles';
import { StatusMessage, renderStatus } from '../status-renderer';
import { T } from '../texts';

/** /call <number>: the checks the bot can answer at once, then the engine. */
export async function onCall(m: Incoming): Promise<void> {
  if (!m.args) {
    await m.reply(T.usage.call);
    return;
  }
  await placeCall(m, m.args);
}

export async function placeCall(m: Incoming, targetInput: string): Promise<void> {
  const { deps } = m;
  const agent = activeAgent(m.role);
  if (!agent) {
    await m.reply(T.notAllowed);
    return;
  }
  const result = await deps.engine.placeCall({ agentTelegramId: agent.telegramId, targetInput, telegramChatId: String(m.chatId) });
  if (!result.ok) {
    // Without a route the agent chooses one first; the checked number rides along in the buttons.
    if (result.refusal === 'no_route' && result.target) {
      await m.reply(`${T.chooseRouteFirst}\n${formatForDisplay(result.target)}`, routeChoiceThenCall(result.target));
      return;
    }
    await m.reply(refusalText(result));
    return;
  }
  await showLiveStatus(m, result);
}

async function showLiveStatus(m: Incoming, result: Extract<PlaceCallResult, { ok: true }>): Promise<void> {
  const { deps } = m;
  const confirmDigit = deps.config.agentConfirmDigit;
  const first = renderStatus({ context: result.context, stage: 'requested', at: Date.now(), final: false }, confirmDigit);
  const messageId = await m.reply(first.text, first.markup);
  if (messageId === undefined) return;
  await deps.stores.calls.recordCallTransition(result.callId, { telegramChatId: String(m.chatId), statusMessageId: messageId });
  const status = new StatusMessage(deps.out, m.chatId, messageId, { minEditIntervalMs: deps.statusEditIntervalMs, confirmDigit });
  void status.follow(result.updates).catch((err: unknown) => deps.logger.warn('status message stopped', { callId: result.callId, err }));
}

function refusalText(result: Extract<PlaceCallResult, { ok: false }>): string {
  switch (result.refusal) {
    case 'invalid_number': return T.numberRefused(result.reason);
    case 'live_call_exists': return T.liveCallExists;
    default: return `❌ ${result.reason}`;
  }
}

/** /hangup: ends the agent's own live call. */
export async function onHangup(m: Incoming): Promise<void> {
  const agent = activeAgent(m.role);
  const live = agent && m.deps.engine.liveCallOfAgent(agent.id);
  if (!live) {
    await m.reply(T.noLiveCall);
    return;
  }
  m.deps.engine.cancelCall(live.context.callId, 'agent');
}
