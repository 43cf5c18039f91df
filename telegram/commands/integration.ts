/**
 * The HTTP API's side in Telegram: a CRM's call request put to its agent (📞 Call / Not now) or
 * placed at once, click-to-call links (/start call_<digits>), the agent's /settings switch and
 * the super admins' /apikeys. Every call goes through placeCallFor, exactly as /call.
 */
import type { AgentSide, PromptedCall } from '../../api/integration-calls';
import type { PlaceCallResult } from '../../engine/call-intake';
import { checkDialableNumber } from '../../phone/number-policy';
import type { BotDeps, Incoming } from '../handler-context';
import { integrationPrompt, linkPrompt, settingsMenu } from '../menus/keyboards';
import { activeAgent, roleOf } from '../roles';
import type { Tap } from '../tap';
import { INTEGRATION_TEXT, T, numberRefusalText } from '../texts';
import { placeCallFor } from './call';

/** Telegram's start parameter: at most 64 characters of A-Z a-z 0-9 _ -. */
const START_PARAMETER = /^[A-Za-z0-9_-]{1,64}$/;
const CALL_LINK = /^call_(\d{3,15})$/;

/** How the API reaches agents: a prompt in their chat, or the call placed for them as if they had typed /call. */
export class TelegramAgentSide implements AgentSide {
  constructor(private readonly deps: BotDeps) {}

  async prompt(request: PromptedCall): Promise<void> {
    await this.deps.out.send(request.agentTelegramId, INTEGRATION_TEXT.prompt(request.requester, request.e164), integrationPrompt(request.requestId));
  }

  async placeNow(request: { requestId: string; agentTelegramId: string; number: string; requester: string }): Promise<PlaceCallResult> {
    const m = await this.asAgent(request.agentTelegramId);
    const checked = checkDialableNumber(request.number, this.deps.config);
    if (checked.ok) await m.reply(INTEGRATION_TEXT.placing(request.requester, checked.e164));
    return await placeCallFor(m, request.number, request.requestId) ?? { ok: false, refusal: 'not_authorized' };
  }

  /** The agent, as an update from their own private chat would show them. */
  private async asAgent(telegramId: string): Promise<Incoming> {
    const { deps } = this;
    const role = await roleOf(telegramId, deps.config.telegram.superAdminIds, deps.stores.agents);
    const agent = role.kind === 'unknown' ? null : role.agent;
    const chatId = Number(telegramId);
    return {
      deps, chatId, userId: telegramId, role, args: '', receivedAt: Date.now(),
      from: { id: chatId, is_bot: false, first_name: agent?.displayName || `user ${telegramId}` },
      reply: (text, markup) => deps.out.send(chatId, text, markup),
    };
  }
}

/** 📞 Call under a CRM's request: claimed once, by its agent, while fresh; then placed as /call. */
export async function onIntegrationCall(m: Tap, requestId: string): Promise<void> {
  const integration = m.deps.integration;
  const agent = activeAgent(m.role);
  if (!integration || !agent) return m.answer(T.staleButton);
  const claim = await integration.claimPrompt(requestId, agent.telegramId);
  if (!claim.ok) return m.answer(claim.why === 'expired' ? INTEGRATION_TEXT.expired : claim.why === 'not_yours' ? INTEGRATION_TEXT.notYours : INTEGRATION_TEXT.taken);
  await m.answer();
  if (m.messageId) await m.deps.out.editMarkup(m.chatId, m.messageId, { inline_keyboard: [] });
  let result: PlaceCallResult | undefined;
  try {
    result = await placeCallFor(m, claim.number, requestId);
  } finally {
    // Settled even when placing threw (the bot's error boundary logs it), so the request does not stay `placing`.
    await integration.settle(requestId, agent.telegramId, result);
  }
}

/** Not now under a CRM's request. */
export async function onIntegrationNotNow(m: Tap, requestId: string): Promise<void> {
  const integration = m.deps.integration;
  const agent = activeAgent(m.role);
  if (!integration || !agent || !await integration.decline(requestId, agent.telegramId)) return m.answer(INTEGRATION_TEXT.taken);
  await m.answer(INTEGRATION_TEXT.notNow);
  if (m.messageId) await m.deps.out.editMarkup(m.chatId, m.messageId, { inline_keyboard: [] });
}

/** /settings' switch: accept integration calls without asking (audited). */
export async function onIntegrationAuto(m: Tap, on: boolean): Promise<void> {
  const integration = m.deps.integration;
  const agent = activeAgent(m.role);
  if (!integration || !agent) return void (await m.reply(INTEGRATION_TEXT.apiOff));
  await integration.setAcceptsWithoutAsking(agent.telegramId, on);
  await m.reply(INTEGRATION_TEXT.autoChanged(on), settingsMenu(on));
}

/** Whether the agent accepts integration calls without asking, for /settings; undefined where the API is not set up. */
export async function integrationAutoOf(deps: BotDeps, telegramId: string): Promise<boolean | undefined> {
  return deps.integration ? deps.integration.acceptsWithoutAsking(telegramId) : undefined;
}

/**
 * /start <parameter>, as a t.me link opens the bot: `call_<digits>` asks `📞 Call +1 …?`; anything
 * else is answered, never dialed. False when there is no parameter (a plain /start) or the user
 * may not call (they get the plain /start's answer: an access request, say).
 */
export async function onStartParameter(m: Incoming): Promise<boolean> {
  if (!m.args || !activeAgent(m.role)) return false;
  const link = START_PARAMETER.test(m.args) ? CALL_LINK.exec(m.args) : null;
  if (!link) {
    await m.reply(INTEGRATION_TEXT.linkBad);
    return true;
  }
  const checked = checkDialableNumber(`+${link[1]}`, m.deps.config);
  if (!checked.ok) {
    await m.reply(numberRefusalText(checked));
    return true;
  }
  await m.reply(INTEGRATION_TEXT.linkPrompt(checked.e164), linkPrompt(checked.e164));
  return true;
}

export async function onLinkCancel(m: Tap): Promise<void> {
  await m.answer(INTEGRATION_TEXT.linkCancelled);
  if (m.messageId) await m.deps.out.editMarkup(m.chatId, m.messageId, { inline_keyboard: [] });
}

/** /apikeys, /apikeys add <name> <scopes…> [rate/min], /apikeys revoke <name> (super admins). */
export async function onApiKeys(m: Incoming): Promise<void> {
  const keys = m.deps.apiKeys;
  if (!keys) return void (await m.reply(INTEGRATION_TEXT.apiOff));
  const [verb, name, ...rest] = m.args.split(/\s+/).filter(Boolean);
  if (!verb) {
    const all = await keys.list();
    if (all.length === 0) return void (await m.reply(INTEGRATION_TEXT.keysEmpty));
    return void (await m.reply([INTEGRATION_TEXT.keysTitle, ...all.map((k) => INTEGRATION_TEXT.keyLine(k.name, k.scopes, k.ratePerMin, k.createdAt, k.revokedAt))].join('\n')));
  }
  if (verb === 'revoke' && name && rest.length === 0) {
    return void (await m.reply(await keys.revoke(m.userId, name) ? INTEGRATION_TEXT.keyRevoked(name) : INTEGRATION_TEXT.keyUnknown(name)));
  }
  if (verb !== 'add' || !name) return void (await m.reply(INTEGRATION_TEXT.keysUsage));
  const last = rest[rest.length - 1];
  const rate = last !== undefined && /^\d+$/.test(last) ? Number(last) : undefined;
  const scopes = rate === undefined ? rest : rest.slice(0, -1);
  const made = await keys.create(m.userId, name, scopes, rate);
  if (!made.ok) return void (await m.reply(INTEGRATION_TEXT.keyRefused[made.refusal]));
  await m.reply(INTEGRATION_TEXT.keyMade(name, made.token));
}

