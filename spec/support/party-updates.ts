/** A two-party call of Ann's as the status message and the Mini App's card read it (unit specs of both). */
import type { PartyView } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';

export const ANN = 7;
export const BOB = 8;
export const context = {
  callId: '0f0e0d0c-0b0a-4908-8706-050403020100', agentId: ANN, agentTelegramId: '2001', agentPhone: '+15551230001',
  target: '+12025550123', route: 'M' as const, callerId: '+15551234567',
};
export const ann: PartyView = { legId: 'agent', role: 'agent', label: 'Ann', agentId: ANN, status: 'up' };
export const customer: PartyView = { legId: 'target', role: 'customer', label: '+12025550123', status: 'up' };

/** The call connected, with `parties` when given. */
export function connected(parties?: PartyView[], extra: Partial<CallUpdate> = {}): CallUpdate {
  return { context, stage: 'connected', at: 0, final: false, ...(parties ? { parties } : {}), ...extra };
}
