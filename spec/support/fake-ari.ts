import { BehaviorSubject, Subject } from 'rxjs';
import type {
  AriConnectionState, AriEvent, AriPort, BridgeSnapshot, ChannelSnapshot, CreateChannelRequest, OriginateRequest, SnoopRequest,
} from '../../ari/ari-port';
import { AriRequestError } from '../../ari/ari-port';

/** What a stored recording holds here: a WAV header's first bytes are enough for the port's callers. */
const FAKE_WAV = Buffer.from('RIFF\0\0\0\0WAVE', 'latin1');

export interface FakeRequest {
  op: string;
  args: Record<string, unknown>;
}

/**
 * An in-memory AriPort for the engine's logic: it records every request, keeps a minimal model of
 * channels and bridges for the read operations, and lets a spec push events and make requests fail.
 */
export class FakeAri implements AriPort {
  readonly requests: FakeRequest[] = [];
  readonly channels = new Map<string, ChannelSnapshot>();
  readonly bridges = new Map<string, BridgeSnapshot>();
  private readonly eventSubject = new Subject<AriEvent>();
  private readonly state = new BehaviorSubject<AriConnectionState>('connected');
  private readonly failures = new Map<string, { message: string; status: number | undefined; times: number }>();

  readonly events = this.eventSubject.asObservable();
  readonly connection = this.state.asObservable();

  isConnected(): boolean {
    return this.state.value === 'connected';
  }

  setConnection(state: AriConnectionState): void {
    this.state.next(state);
  }

  emit(event: AriEvent): void {
    this.eventSubject.next(event);
  }

  /** Emits an event, then lets the requests it causes go out, as a network would. */
  async deliver(event: AriEvent): Promise<void> {
    this.emit(event);
    await new Promise((r) => setImmediate(r));
  }

  /** The next request (or `times` requests) of that kind rejects with this message (and HTTP status, as Asterisk would answer). */
  failNext(op: string, message: string, status?: number, times = 1): void {
    this.failures.set(op, { message, status, times });
  }

  ops(): string[] {
    return this.requests.map((r) => r.op);
  }

  /** Requests that change something in Asterisk (reads left out). */
  commandRequests(): FakeRequest[] {
    return this.requests.filter((r) => !/^(get|list)/.test(r.op));
  }

  commands(): string[] {
    return this.commandRequests().map((r) => r.op);
  }

  async originate(request: OriginateRequest): Promise<void> {
    this.record('originate', { ...request });
    this.channels.set(request.channelId, { id: request.channelId, state: 'Down', appName: 'AppDial2', appData: '' });
  }

  async createChannel(request: CreateChannelRequest): Promise<void> {
    this.record('createChannel', { ...request });
    const callerNumber = request.variables?.['CALLERID(num)'];
    this.channels.set(request.channelId, {
      id: request.channelId, state: 'Down', appName: 'Stasis', appData: `${request.app},${request.appArgs}`, ...(callerNumber ? { callerNumber } : {}),
    });
  }

  async dial(channelId: string, timeoutS: number, callerChannelId?: string): Promise<void> {
    this.record('dial', { channelId, timeoutS, callerChannelId });
    if (!this.channels.has(channelId)) throw new AriRequestError('dial', 'Channel not found', 404);
  }

  async snoop(request: SnoopRequest): Promise<void> {
    this.record('snoop', { ...request });
    if (!this.channels.has(request.channelId)) throw new AriRequestError('snoop', 'Channel not found', 404);
    this.channels.set(request.snoopId, { id: request.snoopId, state: 'Up', appName: 'Stasis', appData: `${request.app},${request.appArgs}` });
  }

  async hangup(channelId: string): Promise<void> {
    if (!this.recordTeardown('hangup', { channelId })) return;
    this.channels.delete(channelId);
  }

  async ring(channelId: string): Promise<void> {
    this.record('ring', { channelId });
    if (!this.channels.has(channelId)) throw new AriRequestError('ring', 'Channel not found', 404);
  }

  async answer(channelId: string): Promise<void> {
    this.record('answer', { channelId });
    const channel = this.channels.get(channelId);
    if (!channel) throw new AriRequestError('answer', 'Channel not found', 404);
    channel.state = 'Up';
  }

  async reject(channelId: string): Promise<void> {
    if (!this.recordTeardown('reject', { channelId })) return;
    this.channels.delete(channelId);
  }

  async createBridge(bridgeId: string, name: string): Promise<void> {
    this.record('createBridge', { bridgeId, name });
    this.bridges.set(bridgeId, { id: bridgeId, channelIds: [] });
  }

  /**
   * The next add to a bridge is asked for but not answered until the returned function is called,
   * as a slow Asterisk would leave it in flight.
   */
  holdNextJoin(): () => void {
    let release!: () => void;
    this.joinGate = new Promise<void>((resolve) => { release = resolve; });
    return release;
  }

  private joinGate?: Promise<void>;

  async addToBridge(bridgeId: string, channelId: string): Promise<void> {
    this.record('addToBridge', { bridgeId, channelId });
    const gate = this.joinGate;
    this.joinGate = undefined;
    if (gate) await gate;
    const bridge = this.bridges.get(bridgeId);
    // Asterisk's answers: the bridge is the path (404), the channel a parameter (400).
    if (!bridge) throw new AriRequestError('add to bridge', 'Bridge not found', 404);
    if (!this.channels.has(channelId)) throw new AriRequestError('add to bridge', 'Channel not found', 400);
    bridge.channelIds.push(channelId);
  }

  async moveToBridge(channelId: string, fromBridgeId: string, toBridgeId: string): Promise<void> {
    this.record('moveToBridge', { channelId, fromBridgeId, toBridgeId });
    const to = this.bridges.get(toBridgeId);
    if (!to) throw new AriRequestError('move to bridge', 'Bridge not found', 404);
    if (!this.channels.has(channelId)) throw new AriRequestError('move to bridge', 'Channel not found', 400);
    for (const bridge of this.bridges.values()) bridge.channelIds = bridge.channelIds.filter((id) => id !== channelId);
    to.channelIds.push(channelId);
  }

  /** The bridges playing music on hold, and of which class. */
  readonly holdMusic = new Map<string, string>();

  async startBridgeMoh(bridgeId: string, mohClass: string): Promise<void> {
    this.record('startBridgeMoh', { bridgeId, mohClass });
    if (!this.bridges.has(bridgeId)) throw new AriRequestError('start music on hold', 'Bridge not found', 404);
    this.holdMusic.set(bridgeId, mohClass);
  }

  async stopBridgeMoh(bridgeId: string): Promise<void> {
    if (!this.recordTeardown('stopBridgeMoh', { bridgeId })) return;
    this.holdMusic.delete(bridgeId);
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    if (!this.recordTeardown('destroyBridge', { bridgeId })) return;
    this.bridges.delete(bridgeId);
    // As Asterisk does, the bridge's end stops its recording, which is then stored.
    for (const [name, live] of this.liveRecordings) {
      if (live.bridgeId !== bridgeId) continue;
      this.liveRecordings.delete(name);
      this.storedRecordings.set(name, FAKE_WAV);
    }
    this.holdMusic.delete(bridgeId);
  }

  async play(channelId: string, playbackId: string, media: string): Promise<void> {
    this.record('play', { channelId, playbackId, media });
    if (!this.channels.has(channelId)) throw new AriRequestError('play', 'Channel not found', 404);
  }

  async playOnBridge(bridgeId: string, playbackId: string, media: string): Promise<void> {
    this.record('playOnBridge', { bridgeId, playbackId, media });
    if (!this.bridges.has(bridgeId)) throw new AriRequestError('play to bridge', 'Bridge not found', 404);
  }

  async stopPlayback(playbackId: string): Promise<void> {
    this.recordTeardown('stopPlayback', { playbackId });
  }

  /** Live recordings by name (their bridge and whether paused), and stored ones (their bytes). */
  readonly liveRecordings = new Map<string, { bridgeId: string; paused: boolean }>();
  readonly storedRecordings = new Map<string, Buffer>();

  async recordBridge(bridgeId: string, name: string): Promise<void> {
    this.record('recordBridge', { bridgeId, name });
    // Asterisk's answers: no such bridge 404, a name in use 422 (ifExists=fail, its default).
    if (!this.bridges.has(bridgeId)) throw new AriRequestError('record', 'Bridge not found', 404);
    if (this.liveRecordings.has(name) || this.storedRecordings.has(name)) throw new AriRequestError('record', 'Recording with the same name already exists on the system', 422);
    this.liveRecordings.set(name, { bridgeId, paused: false });
  }

  async pauseRecording(name: string): Promise<void> {
    this.record('pauseRecording', { name });
    this.liveRecording('pause recording', name).paused = true;
  }

  async unpauseRecording(name: string): Promise<void> {
    this.record('unpauseRecording', { name });
    this.liveRecording('resume recording', name).paused = false;
  }

  async stopRecording(name: string): Promise<void> {
    if (!this.recordTeardown('stopRecording', { name })) return;
    if (this.liveRecordings.delete(name)) this.storedRecordings.set(name, FAKE_WAV);
  }

  async fetchStoredRecording(name: string): Promise<Buffer> {
    this.record('fetchStoredRecording', { name });
    const stored = this.storedRecordings.get(name);
    if (!stored) throw new AriRequestError('fetch recording', 'Recording not found', 404);
    return stored;
  }

  async deleteStoredRecording(name: string): Promise<void> {
    if (!this.recordTeardown('deleteStoredRecording', { name })) return;
    this.storedRecordings.delete(name);
  }

  private liveRecording(request: string, name: string): { bridgeId: string; paused: boolean } {
    const live = this.liveRecordings.get(name);
    if (!live) throw new AriRequestError(request, 'Recording not found', 404);
    return live;
  }

  async getChannel(channelId: string): Promise<ChannelSnapshot | null> {
    this.record('getChannel', { channelId });
    return this.channels.get(channelId) ?? null;
  }

  async listChannels(): Promise<ChannelSnapshot[]> {
    this.record('listChannels', {});
    return [...this.channels.values()];
  }

  async getBridge(bridgeId: string): Promise<BridgeSnapshot | null> {
    this.record('getBridge', { bridgeId });
    return this.bridges.get(bridgeId) ?? null;
  }

  async listBridges(): Promise<BridgeSnapshot[]> {
    this.record('listBridges', {});
    return [...this.bridges.values()];
  }

  async close(): Promise<void> {
    this.state.complete();
    this.eventSubject.complete();
  }

  /** As the port promises for teardown: a 404 means already gone, which is done. False when it was. */
  private recordTeardown(op: string, args: Record<string, unknown>): boolean {
    try {
      this.record(op, args);
      return true;
    } catch (err) {
      if (err instanceof AriRequestError && err.status === 404) return false;
      throw err;
    }
  }

  private record(op: string, args: Record<string, unknown>): void {
    this.requests.push({ op, args });
    const failure = this.failures.get(op);
    if (failure !== undefined) {
      failure.times -= 1;
      if (failure.times <= 0) this.failures.delete(op);
      throw new AriRequestError(op, failure.message, failure.status);
    }
  }
}
