import type { AfterCallRefusal } from '../../after-call/dispositions';
import type { AfterCallAgent, DispositionFollowUp } from '../../after-call/after-call-work';
import { formatForDisplay } from '../../phone/number-policy';
import type { Incoming } from '../handler-context';
import { dispositionChoice, endedCall } from '../menus/keyboards';
import { activeAgent } from '../roles';
import type { Tap } from '../tap';
import { AFTER_CALL, DNC_TEXT, T } from '../texts';

function workerOf(m: Incoming): AfterCallAgent {
  return { agentId: activeAgent(m.role)?.id ?? null, telegramId: m.userId, chatId: String(m.chatId) };
}

const TAP_REFUSAL: Record<AfterCallRefusal | 'unknown_code', string> = {
  unknown_call: T.staleButton,
  unknown_code: T.staleButton,
  not_your_call: T.notYourCall,
  not_ended: AFTER_CALL.callNotEnded,
};

/**
 * A disposition code tapped under a call's final status: recorded (after-call-work.ts decides
 * whether this agent may), the keyboard marks it, and what the code does is said in the chat.
 */
export async function onDispositionTap(m: Tap, callId: string, code: string): Promise<void> {
  const { afterCall, config, out, logger } = m.deps;
  const answer = await afterCall.choose(workerOf(m), callId, code, m.messageId);
  if (!answer.ok) return m.answer(TAP_REFUSAL[answer.refusal]);
  await m.answer();
  const { call, chosen, followUp } = answer;
  // The local Bot API server sends taps without their message: the call's row names its status message in this chat.
  const messageId = m.messageId ?? (call.telegramChatId === String(m.chatId) ? call.statusMessageId : null);
  if (messageId != null && call.target) {
    const keys = { callId: call.id, outcome: call.outcome, codes: config.afterCall.dispositions, chosen: chosen.code };
    // The buttons are under the call's status, or under a refused /call that asked for them.
    const underStatus = call.statusMessageId === messageId && call.telegramChatId === String(m.chatId);
    await out.editMarkup(m.chatId, messageId, underStatus ? endedCall(call.target, keys) : dispositionChoice(keys));
  }
  const said = followUpText(followUp, chosen.label);
  if (followUp.kind === 'callback' && followUp.offer === 'failed') logger.error('the callback offer failed after a Call back disposition', { callId, err: followUp.error });
  if (said) await m.reply(said);
}

function followUpText(followUp: DispositionFollowUp, label: string): string | undefined {
  switch (followUp.kind) {
    case 'none':
      return undefined;
    case 'do_not_call':
      return followUp.added
        ? DNC_TEXT.marked(formatForDisplay(followUp.number))
        : DNC_TEXT.alreadyListed({ ...followUp.entry, number: formatForDisplay(followUp.entry.number) });
    case 'callback':
      if (followUp.offer === 'not_set_up') return AFTER_CALL.callbackNotSetUp(label);
      return followUp.offer === 'failed' ? AFTER_CALL.callbackFailed(label) : undefined;
  }
}

/** An agent's reply to one of the bot's messages: a call's note when it is that call's status message. */
export async function onNoteReply(m: Incoming, repliedTo: number, text: string): Promise<void> {
  const answer = await m.deps.afterCall.note(workerOf(m), repliedTo, text);
  if (answer.ok) return void (await m.reply(AFTER_CALL.noteSaved(answer.replaced)));
  switch (answer.refusal) {
    case 'not_a_status':
    case 'unknown_call':
      return void (await m.reply(AFTER_CALL.notAStatus));
    case 'not_your_call':
      return void (await m.reply(AFTER_CALL.noteNotYourCall));
    case 'not_ended':
      return void (await m.reply(AFTER_CALL.noteNotEnded));
    case 'empty':
      return void (await m.reply(AFTER_CALL.noteEmpty));
    case 'too_long':
      return void (await m.reply(AFTER_CALL.noteTooLong(answer.chars, answer.max)));
  }
}
