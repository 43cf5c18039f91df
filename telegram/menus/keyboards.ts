import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import type { RouteCode } from '../../call/call-types';
import type { TransferCandidate } from '../../engine/call-parties';
import type { PartyControls } from '../party-status';
import { ALERT, BUTTON, DNC_TEXT, PARTY, RECORDING } from '../texts';
import { type CallbackAction, encodeCallback, type PartyPurpose } from './callback-data';

const button = (text: string, action: CallbackAction): InlineKeyboardButton => ({ text, callback_data: encodeCallback(action) });
const keyboard = (...rows: InlineKeyboardButton[][]): InlineKeyboardMarkup => ({ inline_keyboard: rows });

export const mainMenu = (): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.settings, { kind: 'menu', menu: 'settings' }), button(BUTTON.history, { kind: 'menu', menu: 'history' })],
  [button(BUTTON.selectRoute, { kind: 'menu', menu: 'route' })],
);

export const settingsMenu = (): InlineKeyboardMarkup => keyboard([button(BUTTON.selectRoute, { kind: 'menu', menu: 'route' })]);

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

/** With `markCallId`, the agent can also record that the person asked not to be called again. */
export const endedCall = (number: string, markCallId?: string): InlineKeyboardMarkup => keyboard(
  [button(BUTTON.callAgain, { kind: 'call', number })],
  ...(markCallId ? [[button(DNC_TEXT.markButton, { kind: 'dncMark', callId: markCallId })]] : []),
);

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
