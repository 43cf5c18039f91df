import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import type { CallOutcome, RouteCode } from '../../call/call-types';
import type { DispositionCode } from '../../config/after-call-settings';
import { codesFor, effectOf } from '../../after-call/dispositions';
import type { TransferCandidate } from '../../engine/call-parties';
import type { PartyControls } from '../party-status';
import { AFTER_CALL, ALERT, BUTTON, CALLBACK_TEXT, DNC_TEXT, INTEGRATION_TEXT, PARTY, RECORDING, RETURN_CALL } from '../texts';
import { type CallbackAction, encodeCallback, type PartyPurpose } from './callback-data';

const button = (text: string, action: CallbackAction): InlineKeyboardButton => ({ text, callback_data: encodeCallback(action) });
const keyboard = (...rows: InlineKeyboardButton[][]): InlineKeyboardMarkup => ({ inline_keyboard: rows });

export const mainMenu = (): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.settings, { kind: 'menu', menu: 'settings' }), button(BUTTON.history, { kind: 'menu', menu: 'history' })],
  [button(BUTTON.selectRoute, { kind: 'menu', menu: 'route' })],
);

export const settingsMenu = (integrationAuto?: boolean): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.selectRoute, { kind: 'menu', menu: 'route' })],
  // Only where the HTTP API is set up: the switch of "accept integration calls without asking".
  ...(integrationAuto === undefined ? [] : [[integrationAuto
    ? button(INTEGRATION_TEXT.autoOffButton, { kind: 'integrationAuto', on: false })
    : button(INTEGRATION_TEXT.autoOnButton, { kind: 'integrationAuto', on: true })]]),
);

/** Under a call request from the HTTP API. */
export const integrationPrompt = (requestId: string): InlineKeyboardMarkup => keyboard(
  [button(INTEGRATION_TEXT.callButton, { kind: 'integrationCall', requestId }), button(INTEGRATION_TEXT.notNowButton, { kind: 'integrationNotNow', requestId })],
);

/** Under a click-to-call link's question: the number rides in 📞 Call, checked again as /call checks it. */
export const linkPrompt = (e164: string): InlineKeyboardMarkup => keyboard(
  [button(INTEGRATION_TEXT.callButton, { kind: 'call', number: e164 }), button(INTEGRATION_TEXT.linkCancelButton, { kind: 'linkCancel' })],
);

export const routeChoice = (): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.mainRoute, { kind: 'pickRoute', route: 'M' })],
  [button(BUTTON.developmentRoute, { kind: 'pickRoute', route: 'D' })],
);

export const routeConfirmation = (route: RouteCode): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.confirmRoute, { kind: 'confirmRoute', route }), button(BUTTON.cancel, { kind: 'cancelRoute' })],
);

/** Shown to an agent who tried to call before choosing a route: the choice carries the number. */
export const routeChoiceThenCall = (number: string): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.mainRoute, { kind: 'routeThenCall', route: 'M', number })],
  [button(BUTTON.developmentRoute, { kind: 'routeThenCall', route: 'D', number })],
);

/**
 * Under a live call: Hang up, and for its owner the transfer, conference or consultation buttons the
 * call allows now, and ⏸/▶️ for its recording (`recording`: which one the recording allows now).
 */
export const liveCall = (callId: string, controls: PartyControls = 'none', recording?: 'pause' | 'resume'): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.hangup, { kind: 'hangup', callId })],
  ...partyRows(callId, controls),
  ...(recording ? [[button(recording === 'pause' ? RECORDING.pauseButton : RECORDING.resumeButton, { kind: 'recording', callId, pause: recording === 'pause' })]] : []),
);

function partyRows(callId: string, controls: PartyControls): InlineKeyboardButton[][] {
  switch (controls) {
    case 'transfer_or_add':
      return [[button(PARTY.transferButton, { kind: 'transferMenu', callId }), button(PARTY.addButton, { kind: 'addMenu', callId })]];
    case 'consulting':
      return [[
        button(PARTY.completeButton, { kind: 'consultEnd', callId, how: 'complete' }),
        button(PARTY.backButton, { kind: 'consultEnd', callId, how: 'back' }),
        button(PARTY.conferenceButton, { kind: 'consultEnd', callId, how: 'conference' }),
      ]];
    case 'consult_ringing':
      return [[button(PARTY.backButton, { kind: 'consultEnd', callId, how: 'back' })]];
    case 'none':
      return [];
  }
}

/** A status message that no longer follows its call (handed to another agent): no buttons. */
export const noButtons = (): InlineKeyboardMarkup => keyboard();

/** ↪️ Transfer: cold or warm. */
export const transferModes = (callId: string): InlineKeyboardMarkup => keyboard(
  [button(PARTY.coldButton, { kind: 'transferMode', callId, mode: 'cold' })],
  [button(PARTY.warmButton, { kind: 'transferMode', callId, mode: 'warm' })],
);

/** The agents a call can go to (or join it), and typing a number instead. */
export const partyChoice = (callId: string, purpose: PartyPurpose, agents: readonly TransferCandidate[]): InlineKeyboardMarkup => keyboard(
  ...agents.map((a) => [button(a.label, { kind: 'pickAgent', callId, purpose, agentId: a.agentId })]),
  [button(PARTY.typeNumberButton, { kind: 'typeNumber', callId, purpose })],
);

/** Under "send the number": stops waiting for it. */
export const cancelInput = (): InlineKeyboardMarkup => keyboard([button(PARTY.cancelButton, { kind: 'cancelInput' })]);

/** What the buttons under an ended call are about: the call, how it ended, the configured codes and the one chosen. */
export interface EndedCallKeys {
  callId: string;
  outcome: CallOutcome | null | undefined;
  codes: readonly DispositionCode[];
  chosen?: string | null;
}

/**
 * Under a call's final status: 🔁 Call again, then its disposition codes two to a row, the chosen
 * one marked. Where no configured code lists the number as do-not-call, a call someone answered
 * keeps the 🚫 Asked not to be called button of its own.
 */
/**
 * Under a missed return call: one tap places a normal call to the customer, through every rule. With
 * the callback task the missed call left, it is that task's 📞 Call (done once the call goes out).
 */
export const callBack = (number: string, callbackId?: number): InlineKeyboardMarkup => keyboard([button(
  RETURN_CALL.callBackButton, callbackId !== undefined ? { kind: 'callbackCall', callbackId } : { kind: 'call', number },
)]);

export const endedCall = (number: string, keys?: EndedCallKeys): InlineKeyboardMarkup => {
  if (!keys) return keyboard([button(BUTTON.callAgain, { kind: 'call', number })]);
  const ownDncButton = keys.outcome === 'completed' && !keys.codes.some((c) => effectOf(c.code) === 'do_not_call');
  return keyboard(
    [button(BUTTON.callAgain, { kind: 'call', number })],
    ...dispositionRows(keys),
    ...(ownDncButton ? [[button(DNC_TEXT.markButton, { kind: 'dncMark', callId: keys.callId })]] : []),
  );
};

/** The outcome buttons alone: under the refusal of a call that waits for them (REQUIRE_DISPOSITION). */
export const dispositionChoice = (keys: EndedCallKeys): InlineKeyboardMarkup => keyboard(...dispositionRows(keys));

function dispositionRows({ callId, outcome, codes, chosen }: EndedCallKeys): InlineKeyboardButton[][] {
  return pairs(codesFor(codes, outcome).map((c) => button(c.code === chosen ? AFTER_CALL.chosen(c.label) : c.label, { kind: 'dispose', callId, code: c.code })));
}

function pairs<T>(items: readonly T[]): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += 2) rows.push(items.slice(i, i + 2));
  return rows;
}

export const accessRequest = (telegramId: string): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.approve, { kind: 'approve', telegramId }), button(BUTTON.deny, { kind: 'deny', telegramId })],
);

export const liveCallsForAdmin = (calls: ReadonlyArray<{ callId: string; label: string }>): InlineKeyboardMarkup =>
  keyboard(...calls.map((c) => [button(BUTTON.hangupCall(c.label), { kind: 'hangup', callId: c.callId })]));

/** The pool list: one verify button for each unverified number. */
export const unverifiedNumbers = (numbers: ReadonlyArray<{ number: string; route: RouteCode; label: string }>): InlineKeyboardMarkup =>
  keyboard(...numbers.map((n) => [button(n.label, { kind: 'verifyNumber', route: n.route, number: n.number })]));

export const verifyAgain = (number: string, route: RouteCode, label: string): InlineKeyboardMarkup =>
  keyboard([button(label, { kind: 'callNumberAgain', route, number })]);

/** Under an abuse alert: the id names the alert record the bot keeps, never the agent. */
export const suspendAlertButton = (alertId: string): InlineKeyboardMarkup => keyboard([button(ALERT.suspendButton, { kind: 'suspend', alertId })]);

/** After `Call back`: when, in the customer's time. */
export const callbackPicks = (callId: string): InlineKeyboardMarkup => keyboard(
  [button(CALLBACK_TEXT.inAnHourButton, { kind: 'callbackPick', callId, pick: 'in_an_hour' }),
    button(CALLBACK_TEXT.tomorrowMorningButton, { kind: 'callbackPick', callId, pick: 'tomorrow_morning' })],
  [button(CALLBACK_TEXT.typeTimeButton, { kind: 'callbackPick', callId, pick: 'typed' })],
);

/** A callback's reminder: call now through /call's path, or drop it. */
export const callbackReminder = (callbackId: number): InlineKeyboardMarkup => keyboard(
  [button(CALLBACK_TEXT.callButton, { kind: 'callbackCall', callbackId }), button(CALLBACK_TEXT.cancelButton(), { kind: 'callbackCancel', callbackId })],
);

/** Under /callbacks: one ❌ Cancel per listed callback, named by its place in the list. */
export const callbackCancels = (callbackIds: readonly number[]): InlineKeyboardMarkup => keyboard(
  ...callbackIds.map((callbackId, i) => [button(CALLBACK_TEXT.cancelButton(`${i + 1}`), { kind: 'callbackCancel', callbackId })]),
);
