/**
 * The narrow interface the call engine needs from Asterisk. AriAdapter (ari-adapter.ts) implements it
 * over real ARI; the in-memory fake (spec/support) implements it for the pure call logic.
 * Event names stay ARI's own; only the fields the engine reads are kept.
 */
import type { Observable } from 'rxjs';

export type ChannelState = 'Down' | 'Rsrvd' | 'OffHook' | 'Dialing' | 'Ring' | 'Ringing' | 'Up' | 'Busy' | 'Dialing Offhook' | 'Pre-ring' | 'Unknown';

/** The events about a channel, routed to the leg that owns it. */
export type AriChannelEvent =
  | { type: 'StasisStart'; channelId: string; channelState: ChannelState; args: string[]; callerNumber?: string }
  | { type: 'StasisEnd'; channelId: string }
  | { type: 'ChannelStateChange'; channelId: string; channelState: ChannelState }
  | { type: 'Dial'; channelId: string; dialstatus: string }
  | { type: 'ChannelHangupRequest'; channelId: string; cause: number | null; soft: boolean }
  | { type: 'ChannelDestroyed'; channelId: string; cause: number | null; causeText: string | null }
  | { type: 'ChannelDtmfReceived'; channelId: string; digit: string };

/** The events about a playback or a recording, routed by its id (call/call-ids.ts names them after the call). */
export type AriMediaEvent =
  /** `failed`: Asterisk could not play the media (ARI's playback state `failed`, e.g. no such sound). */
  | { type: 'PlaybackFinished'; playbackId: string; failed: boolean }
  | { type: 'RecordingStarted'; name: string }
  | { type: 'RecordingFinished'; name: string }
  | { type: 'RecordingFailed'; name: string; cause: string | null };

export type AriEvent = AriChannelEvent | AriMediaEvent;

export function isChannelEvent(event: AriEvent): event is AriChannelEvent {
  return 'channelId' in event;
}

export type AriConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface ChannelSnapshot {
  id: string;
  state: ChannelState;
  /** `Stasis` while the channel is inside a Stasis application, with `appData` = `app,args…`. */
  appName: string;
  appData: string;
  /** The Caller ID number the channel carries (what its INVITE's From will say), when it has one. */
  callerNumber?: string;
}

export interface BridgeSnapshot {
  id: string;
  channelIds: string[];
}

export interface OriginateRequest {
  channelId: string;
  endpoint: string;
  app: string;
  appArgs: string;
  callerId: string | null;
  timeoutS: number;
}

/** A channel made without dialing it; `variables` are set on it as it is made (e.g. `CALLERID(num)`). */
export interface CreateChannelRequest {
  channelId: string;
  endpoint: string;
  app: string;
  appArgs: string;
  variables?: Record<string, string>;
}

/** Which audio a snoop channel hears (`spy`) or speaks into (`whisper`): `in` is what the channel receives from its far end, `out` what Asterisk sends it. */
export type SnoopDirection = 'none' | 'both' | 'in' | 'out';

/** A snoop channel on `channelId` (ARI's `POST /channels/{id}/snoop`), put into `app` as `snoopId`. */
export interface SnoopRequest {
  channelId: string;
  snoopId: string;
  spy: SnoopDirection;
  whisper: SnoopDirection;
  app: string;
  appArgs: string;
}

export interface AriPort {
  /** Every event of our application, from whichever WebSocket connection is current. */
  readonly events: Observable<AriEvent>;
  /** The WebSocket's state; replays the current value to new subscribers. */
  readonly connection: Observable<AriConnectionState>;
  isConnected(): boolean;

  originate(request: OriginateRequest): Promise<void>;
  createChannel(request: CreateChannelRequest): Promise<void>;
  dial(channelId: string, timeoutS: number, callerChannelId?: string): Promise<void>;
  /** Resolves when the channel is gone, including when it was gone already (404). */
  hangup(channelId: string): Promise<void>;
  /** Tells an inbound channel's caller it rings (SIP 180) without answering; 404 when there is no such channel. */
  ring(channelId: string): Promise<void>;
  /** Answers an inbound channel; 404 when there is no such channel. */
  answer(channelId: string): Promise<void>;
  /** Refuses an inbound channel not answered (cause 21, call rejected: SIP 403); resolves when it was gone already (404). */
  reject(channelId: string): Promise<void>;
  createBridge(bridgeId: string, name: string): Promise<void>;
  addToBridge(bridgeId: string, channelId: string): Promise<void>;
  /** Moves a channel from one bridge into another (Asterisk takes it out of the first as it adds it). */
  moveToBridge(channelId: string, fromBridgeId: string, toBridgeId: string): Promise<void>;
  /** Music on hold for everyone in the bridge, of Asterisk's class `mohClass`. */
  startBridgeMoh(bridgeId: string, mohClass: string): Promise<void>;
  /** Resolves when the bridge plays no music, including when it played none or is gone (409, 404). */
  stopBridgeMoh(bridgeId: string): Promise<void>;
  /** Resolves when the bridge is gone, including when it was gone already (404). */
  destroyBridge(bridgeId: string): Promise<void>;
  play(channelId: string, playbackId: string, media: string): Promise<void>;
  /** Plays media to everyone in the bridge; stopped like any playback, with stopPlayback. */
  playOnBridge(bridgeId: string, playbackId: string, media: string): Promise<void>;
  /** Resolves when the playback has stopped, including when it had finished already (404). */
  stopPlayback(playbackId: string): Promise<void>;
  /** Records everyone in the bridge into Asterisk's recording `name` (WAV; it must not exist yet). */
  recordBridge(bridgeId: string, name: string): Promise<void>;
  pauseRecording(name: string): Promise<void>;
  unpauseRecording(name: string): Promise<void>;
  /** Resolves when the live recording has stopped, including when it had stopped already (404). */
  stopRecording(name: string): Promise<void>;
  /** A stored recording's file, as Asterisk keeps it (WAV); 404 when there is none of that name. */
  fetchStoredRecording(name: string): Promise<Buffer>;
  /** Resolves when the stored recording is gone, including when it was gone already (404). */
  deleteStoredRecording(name: string): Promise<void>;
  /**
   * Makes a snoop channel on a channel; it enters the app at once (StasisStart). Asterisk sends the
   * app no ChannelDestroyed for it: its StasisEnd is the last event (as captured on 18.9 and 22).
   */
  snoop(request: SnoopRequest): Promise<void>;
  getChannel(channelId: string): Promise<ChannelSnapshot | null>;
  listChannels(): Promise<ChannelSnapshot[]>;
  getBridge(bridgeId: string): Promise<BridgeSnapshot | null>;
  listBridges(): Promise<BridgeSnapshot[]>;
  close(): Promise<void>;
}

/** A request that did not succeed; `status` is the HTTP status when Asterisk answered at all. */
export class AriRequestError extends Error {
  constructor(readonly request: string, readonly detail: string, readonly status?: number, options?: { cause?: unknown }) {
    super(`${request}: ${detail}`, options);
    this.name = 'AriRequestError';
  }
}
