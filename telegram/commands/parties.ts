import type { PartyTarget } from '../../call/call-types';
import type { PartyAnswer, PartyRequester } from '../../engine/call-parties';
import type { Tap } from '../tap';
import type { Incoming } from '../handler-context';
import type { PartyPurpose } from '../menus/callback-data';
import { cancelInput, partyChoice, transferModes } from '../menus/keyboards';
import { ownerOf } from '../party-status';
import type { PendingNumber } from '../pending-input';
import { activeAgent } from '../roles';
import { PARTY, T } from '../texts';

/*
 * Transfer, consultation and conference from a call's status message. The bot only asks: the
 * engine (CallParties) checks every request as it checks a /call and answers in codes, worded here.
 */

function requester(m: Incoming): PartyRequester {
  return { agentId: activeAgent(m.role)?.id ?? null, isAdmin: m.role.kind === 'admin', telegramId: m.userId };
}

/**
 * Why a call's party button is stale for this person, checked before anything is asked: the call
 * ended or is not connected, or it is not theirs (an admin may act on any). A call this process
 * does not show (another instance's) is looked up among the live calls; the engine then checks who asks.
 */
export async function partyButtonRefusal(m: Incoming, callId: string): Promise<string | undefined> {
  if (!m.deps.parties) return T.staleButton;
  if (m.role.kind !== 'admin' && !activeAgent(m.role)) return T.notAllowed;
  const view = m.deps.views.of(callId);
  if (view) {
    if (view.stage !== 'connected') return PARTY.refusalOf('not_now');
    const { agentId, isAdmin } = requester(m);
    return isAdmin || agentId === ownerOf(view) ? undefined : PARTY.refusalOf('not_owner');
  }
  const live = (await m.deps.desk.liveCalls()).find((c) => c.context.callId === callId);
  if (!live) return PARTY.refusalOf('no_such_call');
  return live.stage === 'connected' ? undefined : PARTY.refusalOf('not_now');
}

/** ↪️ Transfer: cold or warm first. */
export async function onTransferMenu(m: Tap, callId: string): Promise<void> {
  await m.reply(PARTY.chooseMode, transferModes(callId));
}

/** Cold or Warm chosen, or ➕ Add: the agents free on the call's route, and typing a number. */
export async function onPickParty(m: Tap, callId: string, purpose: PartyPurpose): Promise<void> {
  const agents = await m.deps.parties!.transferCandidates(callId, requester(m));
  await m.reply(PARTY.pickParty(purpose, agents.length > 0), partyChoice(callId, purpose, agents));
}

/** An agent picked: the request goes to the engine; a refusal is the tap's answer. */
export async function onPickAgent(m: Tap, callId: string, purpose: PartyPurpose, agentId: number): Promise<void> {
  const answer = await ask(m, callId, purpose, { kind: 'agent', agentId });
  if (!answer.ok) return void (await m.answer(PARTY.refusal(answer)));
  await m.answer();
  await m.reply(PARTY.started(purpose, answer.label));
}

/** 🔢 Type a number: the chat's next text is the number. */
export async function onTypeNumber(m: Tap, callId: string, purpose: PartyPurpose): Promise<void> {
  m.deps.pending.expect(m.chatId, callId, purpose);
  await m.reply(PARTY.typeNumber(purpose), cancelInput());
}

export async function onCancelInput(m: Tap): Promise<void> {
  // Only a chat that was asked for a number has one to cancel.
  if (!m.deps.pending.cancel(m.chatId)) return void (await m.answer(T.staleButton));
  await m.answer();
  await m.reply(PARTY.inputCancelled);
}

/** The number typed after 🔢 Type a number: checked by the engine as a /call's number is. */
export async function onPartyNumber(m: Incoming, pending: PendingNumber): Promise<void> {
  const refusal = await partyButtonRefusal(m, pending.callId);
  if (refusal) return void (await m.reply(refusal));
  const answer = await ask(m, pending.callId, pending.purpose, { kind: 'number', number: m.args });
  await m.reply(answer.ok ? PARTY.started(pending.purpose, answer.label) : PARTY.refusal(answer));
}

/** ✅ Complete, ↩️ Back, 👥 Conference during a consultation: the status message shows what follows. */
export async function onConsultEnd(m: Tap, callId: string, how: 'complete' | 'back' | 'conference'): Promise<void> {
  const answer = await m.deps.parties!.finishConsult(callId, requester(m), how);
  await m.answer(answer.ok ? undefined : PARTY.refusalOf(answer.refusal));
}

function ask(m: Incoming, callId: string, purpose: PartyPurpose, to: PartyTarget): Promise<PartyAnswer> {
  const parties = m.deps.parties!;
  return purpose === 'add' ? parties.addParty(callId, requester(m), to) : parties.transfer(callId, requester(m), to, purpose);
}
