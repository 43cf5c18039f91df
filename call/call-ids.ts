import type { LegName } from './call-types';

/** The Asterisk ids of one call's resources; derived from the call id, so they exist before Asterisk answers. */
export interface CallIds {
  agentChannelId: string;
  targetChannelId: string;
  bridgeId: string;
  ringbackId: string;
}

export function callIds(callId: string): CallIds {
  return {
    agentChannelId: `${callId}-agent`,
    targetChannelId: `${callId}-target`,
    bridgeId: `${callId}-bridge`,
    ringbackId: `${callId}-ringback`,
  };
}

export function channelOfLeg(ids: CallIds, leg: LegName): string {
  return leg === 'agent' ? ids.agentChannelId : ids.targetChannelId;
}

export function legOfChannel(ids: CallIds, channelId: string): LegName | undefined {
  if (channelId === ids.agentChannelId) return 'agent';
  if (channelId === ids.targetChannelId) return 'target';
  return undefined;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** How reconciliation recognises a channel or bridge of ours among everything Asterisk lists. */
export const CALL_CHANNEL_ID = new RegExp(`^${UUID}-(agent|target)$`);
export const CALL_BRIDGE_ID = new RegExp(`^${UUID}-bridge$`);
