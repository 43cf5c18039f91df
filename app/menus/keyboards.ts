import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import type { RouteCode } from '../../call/call-types';
import { ALERT } from '../texts';
import { type CallbackAction, encodeCallback } from './callback-data';

const button = (text: string, action: CallbackAction): InlineKeyboardButton => ({ text, callback_data: encodeCallback(action) });
const keyboard = (...rows: InlineKeyboardButton[][]): InlineKeyboardMarkup => ({ inline_keyboard: rows });

export const mainMenu = (): InlineKeyboardMarkup => keyboard(
  [button('⚙️ Settings', { kind: 'menu', menu: 'settings' }), button('📜 History', { kind: 'menu', menu: 'history' })],
  [button('Select Route 🌐', { kind: 'menu', menu: 'route' })],
);

export const settingsMenu = (): InlineKeyboardMarkup => keyboard([button('Select Route 🌐', { kind: 'menu', menu: 'route' })]);

export const routeChoice = (): InlineKeyboardMarkup => keyboard(
  [button('[Main Route] 🌍', { kind: 'pickRoute', route: 'M' })],
  [button('[Development Route] 🛠️', { kind: 'pickRoute', route: 'D' })],
);

export const routeConfirmation = (route: RouteCode): InlineKeyboardMarkup => keyboard(
  [button('✅ Yes, Switch Route', { kind: 'confirmRoute', route }), button('❌ Cancel', { kind: 'cancelRoute' })],
);

/** Shown to an agent who tried to call before choosing a route: the choice carries the number. */
export const routeChoiceThenCall = (number: string): InlineKeyboardMarkup => keyboard(
  [button('[Main Route] 🌍', { kind: 'routeThenCall', route: 'M', number })],
  [button('[Development Route] 🛠️', { kind: 'routeThenCall', route: 'D', number })],
);

export const liveCall = (callId: string): InlineKeyboardMarkup => keyboard([button('⏹ Hang up', { kind: 'hangup', callId })]);

export const endedCall = (number: string): InlineKeyboardMarkup => keyboard([button('🔁 Call again', { kind: 'call', number })]);

export const accessRequest = (telegramId: string): InlineKeyboardMarkup => keyboard(
  [button('✅ Approve', { kind: 'approve', telegramId }), button('❌ Deny', { kind: 'deny', telegramId })],
);

export const liveCallsForAdmin = (calls: ReadonlyArray<{ callId: string; label: string }>): InlineKeyboardMarkup =>
  keyboard(...calls.map((c) => [button(`⏹ ${c.label}`, { kind: 'hangup', callId: c.callId })]));

/** Under an abuse alert: the id names the alert record the bot keeps, never the agent. */
export const suspendAlertButton = (alertId: string): InlineKeyboardMarkup => keyboard([button(ALERT.suspendButton, { kind: 'suspend', alertId })]);
