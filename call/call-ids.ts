import type { LegId, LegName } from './call-types';

/** The Asterisk ids of one call's resources; derived from the call id, so they exist before Asterisk answers. */
export interface CallIds {
  agentChannelId: string;
  targetChannelId: string;
  bridgeId: string;
  /** The bridge of a consultation, while the customer waits on hold in the main one. */
  consultBridgeId: string;
  ringbackId: string;
  /** The main bridge's recording, live then stored in Asterisk (`/recordings/live|stored/<name>`): unique as the call id is. */
  recordingName: string;
  /** The consent announcement played to the customer before they are joined. */
  announcementId: string;
  /** A return call's announcement to the agent (the customer's number, or a beep) before the customer is joined. */
  agentAnnouncementId: string;
}

export function callIds(callId: string): CallIds {
  return {
    agentChannelId: `${callId}-agent`,
    targetChannelId: `${callId}-target`,
    bridgeId: `${callId}-bridge`,
    consultBridgeId: `${callId}-consult`,
    ringbackId: `${callId}-ringback`,
    recordingName: `${callId}-rec`,
    announcementId: `${callId}-consent`,
    agentAnnouncementId: `${callId}-agent-announce`,
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

/** Every leg's channel is `<callId>-<legId>`: `-agent`, `-target`, then `-p3`, `-p4`, … */
export function channelIdOfLeg(callId: string, legId: LegId): string {
  return `${callId}-${legId}`;
}

/** The ringback played while an added leg rings. */
export function partyRingbackId(callId: string, legId: LegId): string {
  return `${callId}-${legId}-ringback`;
}

/** The call id and leg id an added leg's channel id names, if it names one. */
export function addedLegOfChannel(channelId: string): { callId: string; legId: LegId } | undefined {
  const m = /^(.+)-(p\d+)$/.exec(channelId);
  return m ? { callId: m[1]!, legId: m[2]! } : undefined;
}

/** The call a recording or announcement playback of ours belongs to (their ids are `<callId>-rec`, `<callId>-consent`, `<callId>-agent-announce`). */
export function callOfMedia(id: string): string | undefined {
  const m = /^(.+)-(rec|consent|agent-announce)$/.exec(id);
  return m ? m[1] : undefined;
}

export function isConsultBridge(bridgeId: string): boolean {
  return bridgeId.endsWith('-consult');
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** How reconciliation recognises a channel or bridge of ours among everything Asterisk lists. */
export const CALL_CHANNEL_ID = new RegExp(`^${UUID}-(agent|target|p\\d+)$`);
export const CALL_BRIDGE_ID = new RegExp(`^${UUID}-(bridge|consult)$`);
