/**
 * Scheduled callbacks in Telegram: the offer under a final status (CallbackOffer), the quick picks
 * and the typed time, the reminder's 📞 Call (the same path as /call, every rule checked again
 * then), ❌ Cancel, /callbacks, and the messages the reminders' clock sends.
 */
import type { CallbackOffer } from '../../after-call/after-call-types';
import type { CallbackNotices } from '../../after-call/callback-reminders';
import { localWallTime } from '../../after-call/callback-time';
import { type Callbacks, type ScheduleRefusal, type When, isMissed } from '../../after-call/callbacks';
import type { ScheduledCallback } from '../../entities';
import type { BotDeps, Incoming } from '../handler-context';
import type { CallbackPickButton } from '../menus/callback-data';
import { callbackCancels, callbackPicks, callbackReminder, cancelInput, noButtons } from '../menus/keyboards';
import type { PendingCallbackTime } from '../pending-input';
import { activeAgent } from '../roles';
import type { Tap } from '../tap';
import { CALLBACK_TEXT, T } from '../texts';
import { placeCall } from './call';

/** At most this many callbacks in one /callbacks answer (a message holds 4096 characters). */
const LISTED = 30;

type OfferDeps = Pick<BotDeps, 'out' | 'stores' | 'callbacks'>;

/** `Call back` under a final status: the quick picks, in the customer's time, as a reply to that status. */
export class TelegramCallbackOffer implements CallbackOffer {
  constructor(private readonly deps: OfferDeps) {}

  async offer(request: { chatId: string; agentTelegramId: string; callId: string; statusMessageId?: number }): Promise<void> {
    const { out, stores, callbacks } = this.deps;
    const agent = await stores.agents.activeAgentByTelegramId(request.agentTelegramId);
    const found = agent ? await callbacks.customerOf(request.callId, agent.id) : { ok: false as const, reason: 'not_yours' as const };
    const send = (text: string, markup?: Parameters<typeof out.send>[2]) => (request.statusMessageId !== undefined
      ? out.sendReply(request.chatId, request.statusMessageId, text, markup) : out.send(request.chatId, text, markup));
    if (!found.ok) return void (await send(CALLBACK_TEXT.refused({ reason: found.reason })));
    const { customer } = found;
    const text = customer.zoneKnown
      ? CALLBACK_TEXT.offer(customer.number, localWallTime(callbacks.now(), customer.zone)) : CALLBACK_TEXT.offerZoneUnknown(customer.number);
    await send(text, callbackPicks(request.callId));
  }
}

/** A quick pick, or ⌨️ Type a time (the chat's next text is the time). */
export async function onCallbackPick(m: Tap, callId: string, pick: CallbackPickButton): Promise<void> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  if (pick !== 'typed') return scheduleFor(m, agent.id, callId, { pick });
  const found = await m.deps.callbacks.customerOf(callId, agent.id);
  if (!found.ok) return void (await m.reply(CALLBACK_TEXT.refused({ reason: found.reason })));
  m.deps.pending.expectCallbackTime(m.chatId, callId);
  await m.reply(CALLBACK_TEXT.typePrompt(found.customer.zone), cancelInput());
}

/** The time typed after ⌨️ Type a time; a time that is refused may be typed again. */
export async function onCallbackTime(m: Incoming, pending: PendingCallbackTime): Promise<void> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  await scheduleFor(m, agent.id, pending.callId, { typed: m.args }, () => m.deps.pending.expectCallbackTime(m.chatId, pending.callId));
}

/** Refusals after which another time may do. */
const TRY_AGAIN: ReadonlySet<ScheduleRefusal['reason']> = new Set(['unreadable', 'no_such_date', 'past', 'too_far', 'outside_hours']);

async function scheduleFor(m: Incoming, agentId: number, callId: string, when: When, askAgain?: () => void): Promise<void> {
  const { callbacks } = m.deps;
  const answer = await callbacks.schedule({ callId, agentId, when });
  if (answer.ok) return void (await m.reply(CALLBACK_TEXT.scheduled(answer.callback.number, answer.local)));
  const text = CALLBACK_TEXT.refused(answer);
  if (askAgain && TRY_AGAIN.has(answer.reason)) {
    askAgain();
    return void (await m.reply(`${text}\n${CALLBACK_TEXT.typeAgain}`, cancelInput()));
  }
  await m.reply(text);
}

/** Why this person may not act on this callback now: gone, closed, or someone else's (admins may cancel any). */
export async function callbackRefusal(m: Tap, callbackId: number, may: 'call' | 'cancel'): Promise<string | undefined> {
  const callback = await m.deps.callbacks.byId(callbackId);
  if (!callback || callback.state === 'done' || callback.state === 'cancelled') return CALLBACK_TEXT.closeRefused('gone');
  const mine = callback.agentId === activeAgent(m.role)?.id;
  if (!mine && !(may === 'cancel' && m.role.kind === 'admin')) return CALLBACK_TEXT.closeRefused('not_yours');
  return undefined;
}

/** 📞 Call on a reminder: exactly a /call of the customer's number; the callback is done once the call went out. */
export async function onCallbackCall(m: Tap, callbackId: number): Promise<void> {
  const callback = await m.deps.callbacks.byId(callbackId);
  if (!callback) return;
  if (await placeCall(m, callback.number)) await m.deps.callbacks.markCalled(callbackId);
}

/** ❌ Cancel on a reminder or under /callbacks. */
export async function onCallbackCancel(m: Tap, callbackId: number): Promise<void> {
  const { callbacks } = m.deps;
  const callback = await callbacks.byId(callbackId);
  const answer = await callbacks.cancel(callbackId, { agentId: activeAgent(m.role)?.id ?? null, isAdmin: m.role.kind === 'admin', telegramId: m.userId });
  if (answer !== 'closed' || !callback) return void (await m.answer(CALLBACK_TEXT.closeRefused(answer === 'closed' ? 'gone' : answer)));
  await m.answer();
  const text = CALLBACK_TEXT.cancelled(callback.number, localWallTime(callback.dueAt.getTime(), await callbacks.zoneOf(callback.number)));
  // A reminder's buttons go with it; a /callbacks list keeps the others' buttons.
  if (m.messageId !== undefined && callback.state === 'reminded') await m.deps.out.edit(m.chatId, m.messageId, text, noButtons());
  else await m.reply(text);
}

/** /callbacks: the agent's callbacks still to be made; a super admin's shows everyone's, with the agent, and which are missed. */
export async function onCallbacks(m: Incoming): Promise<void> {
  const { callbacks, stores, config } = m.deps;
  const isAdmin = m.role.kind === 'admin';
  const agent = activeAgent(m.role);
  if (!isAdmin && !agent) return void (await m.reply(T.notAllowed));
  const open = await callbacks.open(isAdmin ? undefined : agent!.id, LISTED);
  if (open.length === 0) return void (await m.reply(isAdmin ? CALLBACK_TEXT.noneOpenAll : CALLBACK_TEXT.noneOpen));
  const now = callbacks.now();
  const names = new Map<number, string>();
  if (isAdmin) {
    for (const id of new Set(open.map((c) => c.agentId))) {
      const a = await stores.agents.byId(id);
      names.set(id, a ? CALLBACK_TEXT.agentLabel(a.displayName, a.telegramId) : `#${id}`);
    }
  }
  const lines = await Promise.all(open.map(async (c, i) => CALLBACK_TEXT.listLine(i + 1, {
    number: c.number, route: c.route, local: localWallTime(c.dueAt.getTime(), await callbacks.zoneOf(c.number)),
    ...(isAdmin ? { agent: names.get(c.agentId) ?? '' } : {}),
    reminded: c.state === 'reminded', missed: isAdmin && isMissed(c, now, config.callbackMissedAfterMin * 60_000),
  })));
  await m.reply([CALLBACK_TEXT.listTitle(open.length), ...lines].join('\n'), callbackCancels(open.map((c) => c.id)));
}

/** What the reminders' clock says: the reminder to the agent, and a missed callback to every super admin. */
export class TelegramCallbackNotices implements CallbackNotices {
  constructor(private readonly deps: Pick<BotDeps, 'out' | 'stores' | 'config'> & { callbacks: Pick<Callbacks, 'zoneOf'> }) {}

  async remind(callback: ScheduledCallback): Promise<void> {
    const agent = await this.deps.stores.agents.byId(callback.agentId);
    // An agent revoked or suspended since is not reminded; the callback is then missed, and the admins are told.
    if (agent?.status !== 'active') return;
    const local = localWallTime(callback.dueAt.getTime(), await this.deps.callbacks.zoneOf(callback.number));
    await this.deps.out.send(agent.telegramId, CALLBACK_TEXT.reminder(callback.number, local), callbackReminder(callback.id));
  }

  async missed(callback: ScheduledCallback): Promise<void> {
    const { stores, config, out } = this.deps;
    const agent = await stores.agents.byId(callback.agentId);
    const who = agent ? CALLBACK_TEXT.agentLabel(agent.displayName, agent.telegramId) : `#${callback.agentId}`;
    const local = localWallTime(callback.dueAt.getTime(), await this.deps.callbacks.zoneOf(callback.number));
    const text = CALLBACK_TEXT.missedAlert(who, callback.number, local, config.callbackMissedAfterMin);
    await Promise.all(config.telegram.superAdminIds.map((id) => out.send(id, text)));
  }
}
