import { type Observable, filter } from 'rxjs';
import { type AriConnectionState, type AriEvent, type AriPort, AriRequestError, type BridgeSnapshot, type ChannelSnapshot, type CreateChannelRequest, type OriginateRequest, type SnoopRequest } from '../ari/ari-port';

/**
 * An Asterisk server's ARI, usable only while this process owns the server (cluster mode): every
 * request first asks the lease, and events are dropped once it is lost. A process resumed after a
 * pause past its lease checks the lease's own clock before anything else, so it sends nothing even
 * if events were waiting for it.
 */
export class FencedAri implements AriPort {
  readonly events: Observable<AriEvent>;
  readonly connection: Observable<AriConnectionState>;

  constructor(private readonly ari: AriPort, private readonly isOwner: () => boolean, private readonly serverId: string) {
    this.events = ari.events.pipe(filter(() => isOwner()));
    this.connection = ari.connection;
  }

  isConnected(): boolean {
    return this.isOwner() && this.ari.isConnected();
  }

  originate(request: OriginateRequest): Promise<void> {
    return this.owned('originate', () => this.ari.originate(request));
  }

  createChannel(request: CreateChannelRequest): Promise<void> {
    return this.owned('create channel', () => this.ari.createChannel(request));
  }

  dial(channelId: string, timeoutS: number, callerChannelId?: string): Promise<void> {
    return this.owned('dial', () => this.ari.dial(channelId, timeoutS, callerChannelId));
  }

  snoop(request: SnoopRequest): Promise<void> {
    return this.owned('snoop', () => this.ari.snoop(request));
  }

  hangup(channelId: string): Promise<void> {
    return this.owned('hangup', () => this.ari.hangup(channelId));
  }

  ring(channelId: string): Promise<void> {
    return this.owned('ring', () => this.ari.ring(channelId));
  }

  answer(channelId: string): Promise<void> {
    return this.owned('answer', () => this.ari.answer(channelId));
  }

  reject(channelId: string): Promise<void> {
    return this.owned('reject', () => this.ari.reject(channelId));
  }

  createBridge(bridgeId: string, name: string): Promise<void> {
    return this.owned('create bridge', () => this.ari.createBridge(bridgeId, name));
  }

  addToBridge(bridgeId: string, channelId: string): Promise<void> {
    return this.owned('add to bridge', () => this.ari.addToBridge(bridgeId, channelId));
  }

  moveToBridge(channelId: string, fromBridgeId: string, toBridgeId: string): Promise<void> {
    return this.owned('move to bridge', () => this.ari.moveToBridge(channelId, fromBridgeId, toBridgeId));
  }

  startBridgeMoh(bridgeId: string, mohClass: string): Promise<void> {
    return this.owned('start music on hold', () => this.ari.startBridgeMoh(bridgeId, mohClass));
  }

  stopBridgeMoh(bridgeId: string): Promise<void> {
    return this.owned('stop music on hold', () => this.ari.stopBridgeMoh(bridgeId));
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.owned('destroy bridge', () => this.ari.destroyBridge(bridgeId));
  }

  play(channelId: string, playbackId: string, media: string): Promise<void> {
    return this.owned('play', () => this.ari.play(channelId, playbackId, media));
  }

  playOnBridge(bridgeId: string, playbackId: string, media: string): Promise<void> {
    return this.owned('play to bridge', () => this.ari.playOnBridge(bridgeId, playbackId, media));
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.owned('stop playback', () => this.ari.stopPlayback(playbackId));
  }

  recordBridge(bridgeId: string, name: string): Promise<void> {
    return this.owned('record', () => this.ari.recordBridge(bridgeId, name));
  }

  pauseRecording(name: string): Promise<void> {
    return this.owned('pause recording', () => this.ari.pauseRecording(name));
  }

  unpauseRecording(name: string): Promise<void> {
    return this.owned('resume recording', () => this.ari.unpauseRecording(name));
  }

  stopRecording(name: string): Promise<void> {
    return this.owned('stop recording', () => this.ari.stopRecording(name));
  }

  fetchStoredRecording(name: string): Promise<Buffer> {
    return this.owned('fetch recording', () => this.ari.fetchStoredRecording(name));
  }

  deleteStoredRecording(name: string): Promise<void> {
    return this.owned('delete recording', () => this.ari.deleteStoredRecording(name));
  }

  getChannel(channelId: string): Promise<ChannelSnapshot | null> {
    return this.owned('get channel', () => this.ari.getChannel(channelId));
  }

  listChannels(): Promise<ChannelSnapshot[]> {
    return this.owned('list channels', () => this.ari.listChannels());
  }

  getBridge(bridgeId: string): Promise<BridgeSnapshot | null> {
    return this.owned('get bridge', () => this.ari.getBridge(bridgeId));
  }

  listBridges(): Promise<BridgeSnapshot[]> {
    return this.owned('list bridges', () => this.ari.listBridges());
  }

  close(): Promise<void> {
    return this.ari.close();
  }

  private owned<T>(request: string, send: () => Promise<T>): Promise<T> {
    if (!this.isOwner()) {
      return Promise.reject(new AriRequestError(request, `not sent: this instance no longer owns Asterisk server ${this.serverId} (its lease lapsed)`));
    }
    return send();
  }
}
