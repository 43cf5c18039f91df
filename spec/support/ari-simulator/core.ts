/**
 * The simulated Asterisk (18.9-cert4, or 22 where versions.ts says 22 differs): what happens to
 * channels, bridges and playbacks on each ARI operation and each far-end reaction, emitting the
 * events in the order the real-Asterisk captures in spec/fixtures/asterisk-<version> show (recorded
 * by `npm run capture:asterisk`). Transport-free: REST and WebSocket live in rest.ts and server.ts.
 */
import { randomUUID } from 'node:crypto';

import { CAUSE, causeText, dialStatusForCause, hangupReasonCause, sipCodeForCause } from './causes';
import { defaultFarEnd, planFor, type FarEndChooser, type FarEndDefaults, type FarEndPlan } from './far-end';
import {
  ASTERISK_ID,
  SimApplication,
  SimAnnouncer,
  SimBridge,
  SimBridgePlayback,
  SimChannel,
  SimPlayback,
  asteriskTime,
  parseCallerId,
  type AriApplication,
  type AriBridge,
  type AriChannel,
  type AriEvent,
  type AriLiveRecording,
  type AriPlayback,
  type BridgeParty,
  type CallerId,
  type LegKind,
} from './model';
import { TimerSet } from './timers';
import { RTP_STATISTICS, type VersionProfile } from './versions';

/** An ARI error answer: the HTTP status and the `message` Asterisk puts in its JSON body. */
export class AriError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AriError';
  }
}

export interface CoreOptions extends FarEndDefaults {
  /** Asterisk 18.9's Stasis loop period for a channel without media; 0 = commands run at once. */
  stasisLoopMs: number;
  /** How long a non-tone media plays before PlaybackFinished. */
  playbackMs: number;
  /** Applications registered up front, active with or without a WebSocket. */
  apps: readonly string[];
  /** The `sound:` names this Asterisk has (others fail to play, as a missing file does); `sound:http…` always plays. */
  sounds?: readonly string[];
  /** What the Asterisk version played shows differently (versions.ts). */
  profile: VersionProfile;
}

/** Asterisk's core sounds the product and its specs play (Debian's asterisk-core-sounds-en-wav has them). */
export const SIM_SOUNDS: readonly string[] = ['hello-world', 'conf-now-recording', 'beep'];

/** The formats a stock Asterisk records in; others are refused with 422, as captured. */
const RECORDING_FORMATS = new Set(['wav', 'wav16', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'g729', 'ogg']);

/** A live recording of a bridge, through a recorder channel of Asterisk's own in it (never shown to the app). */
interface SimRecording {
  name: string;
  format: string;
  bridge: SimBridge;
  recorder: SimAnnouncer;
  state: 'queued' | 'recording' | 'paused';
  /** When it started, and the time spent paused (left out of the file, as Asterisk leaves it out). */
  startedAt: number;
  pausedMs: number;
  pausedAt?: number;
}

export interface SimInvite {
  channelId: string;
  endpoint: string;
  fromNumber: string;
}

export type EventSink = (app: string, event: AriEvent) => void;

export interface OriginateParams {
  endpoint: string | undefined;
  extension: string | undefined;
  app: string | undefined;
  appArgs: string | undefined;
  callerId: string | undefined;
  timeout: number | undefined;
  channelId: string | undefined;
  originator: string | undefined;
  formats: string | undefined;
}

export interface SnoopParams {
  spy: string | undefined;
  whisper: string | undefined;
  app: string | undefined;
  appArgs: string | undefined;
  snoopId: string | undefined;
}

export interface CreateParams {
  endpoint: string | undefined;
  app: string | undefined;
  appArgs: string | undefined;
  channelId: string | undefined;
  originator: string | undefined;
  formats: string | undefined;
  /** The body's `variables` object: set on the channel as it is made (`CALLERID(num)` sets its Caller ID). */
  variables?: Record<string, string>;
}

/** A channel as the test control API shows it: the ARI JSON plus the simulator's own view. */
export interface SimChannelSnapshot extends AriChannel {
  app: string;
  inStasis: boolean;
  bridgeId: string | undefined;
  endpoint: string;
  playbackIds: string[];
  variables: Record<string, string>;
}

export type SimBridgeSnapshot = AriBridge;

/** The provider answered each INVITE (180, 486, 404, 503) about 2 ms after it left Asterisk. */
const SIGNALLING_MS = 1;
/** An RFC 4733 digit from the provider lasts about this long. */
const DTMF_DURATION_MS = 100;
const MAX_UNIQUEID = 128;

interface HangupPlan {
  /** ChannelHangupRequest to publish (without `cause` when undefined); omitted when the channel is torn down without one. */
  request?: { cause: number | undefined; soft?: true; sipCode?: number };
  destroyCause: number;
  /** The SIP code behind the end, published as `tech_cause` where the version does (22). */
  destroySipCode?: number;
  /** Final Dial status, only for an originated leg that never answered. */
  dialStatus?: string;
}

export class AriCore {
  private readonly channelsById = new Map<string, SimChannel>();
  private readonly bridgesById = new Map<string, SimBridge>();
  private readonly playbacksById = new Map<string, SimPlayback>();
  private readonly bridgePlaybacksById = new Map<string, SimBridgePlayback>();
  private readonly appsByName = new Map<string, SimApplication>();
  private readonly timers = new TimerSet();
  private channelSeq = 0;
  private snoopSeq = 0;
  private announcerSeq = 0;
  private recorderSeq = 0;
  private readonly recordingsByName = new Map<string, SimRecording>();
  /** Stored recordings: their format and file. */
  private readonly storedRecordings = new Map<string, { format: string; file: Buffer }>();
  private farEndChooser: FarEndChooser | undefined;
  /** Channels whose far end sent 183 with SDP: their media is set up before the answer. */
  private readonly earlyMedia = new WeakSet<SimChannel>();
  /** What the providers were sent: one entry per INVITE, with the From number (the connected line). */
  readonly invites: SimInvite[] = [];
  private startupTime = asteriskTime();

  constructor(
    private readonly opts: CoreOptions,
    private readonly sink: EventSink,
  ) {
    for (const name of opts.apps) this.appsByName.set(name, new SimApplication(name, true));
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Forget every channel, bridge and playback and cancel all timers, like a restart. */
  reset(): void {
    this.timers.clear();
    this.invites.length = 0;
    for (const ch of this.channelsById.values()) {
      // A request waiting on the Stasis loop (addChannel) still gets its answer.
      ch.gone = true;
      const pending = ch.pending;
      ch.pending = undefined;
      if (pending !== undefined) for (const run of pending) run();
    }
    this.channelsById.clear();
    this.bridgesById.clear();
    this.playbacksById.clear();
    this.bridgePlaybacksById.clear();
    this.recordingsByName.clear();
    for (const [name, app] of this.appsByName) {
      if (!app.active) this.appsByName.delete(name);
      app.channelIds.clear();
      app.bridgeIds.clear();
    }
    this.channelSeq = 0;
    this.snoopSeq = 0;
    this.startupTime = asteriskTime();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  setFarEnd(chooser: FarEndChooser | undefined): void {
    this.farEndChooser = chooser;
  }

  // ---- applications ----------------------------------------------------------------------

  appConnected(name: string): void {
    let app = this.appsByName.get(name);
    if (app === undefined) {
      app = new SimApplication(name, false);
      this.appsByName.set(name, app);
    }
    app.sockets += 1;
  }

  /** The app stays registered (and keeps its channels) while it has no socket, as 18.9 does. */
  appDisconnected(name: string): void {
    const app = this.appsByName.get(name);
    if (app !== undefined) app.sockets = Math.max(0, app.sockets - 1);
  }

  forgetSockets(): void {
    for (const app of this.appsByName.values()) app.sockets = 0;
  }

  listApplications(): AriApplication[] {
    return Array.from(this.appsByName.values(), (app) => app.toJson());
  }

  getApplication(name: string): AriApplication {
    const app = this.appsByName.get(name);
    if (app === undefined) throw new AriError(404, 'Application not found');
    return app.toJson();
  }

  asteriskInfo(only: readonly string[]): Record<string, object> {
    const all: Record<string, object> = {
      build: { os: 'Linux', kernel: 'simulated', machine: 'x86_64', options: 'BUILD_NATIVE, OPTIONAL_API', date: '2022-01-01 00:00:00 UTC', user: 'sim' },
      system: { version: this.opts.profile.systemVersion, entity_id: ASTERISK_ID },
      config: { name: '', default_language: 'en', setid: { user: '', group: '' } },
      status: { startup_time: this.startupTime, last_reload_time: this.startupTime },
    };
    if (only.length === 0) return all;
    const picked: Record<string, object> = {};
    for (const key of only) {
      const part = all[key];
      if (part !== undefined) picked[key] = part;
    }
    return picked;
  }

  // ---- channels --------------------------------------------------------------------------

  listChannels(): AriChannel[] {
    return Array.from(this.channelsById.values(), (ch) => ch.toJson());
  }

  getChannel(id: string): AriChannel {
    return this.channelOr404(id).toJson();
  }

  channelSnapshots(): SimChannelSnapshot[] {
    return Array.from(this.channelsById.values(), (ch) => ({
      ...ch.toJson(),
      app: ch.app,
      inStasis: ch.inStasis,
      bridgeId: ch.bridge?.id,
      endpoint: ch.endpoint,
      playbackIds: playbacksOf(ch).map((pb) => pb.id),
      variables: Object.fromEntries(ch.vars),
    }));
  }

  /** POST /channels and /channels/{id}: dial the far end now; Stasis only once it answers. */
  originate(p: OriginateParams): AriChannel {
    if (!p.endpoint) throw new AriError(400, 'Endpoint must be specified');
    if (p.originator && p.formats) throw new AriError(400, "Originator and formats can't both be specified");
    const endpoint = splitEndpoint(p.endpoint);
    if (endpoint === undefined) throw new AriError(400, 'Invalid endpoint specified');
    if (!p.app) {
      // Real Asterisk would run the dialplan; the simulator only models Stasis legs.
      throw new AriError(400, p.extension ? 'Dialplan originate (extension without app) is not simulated' : 'Application or extension must be specified');
    }
    if (p.originator && !this.channelsById.has(p.originator)) throw new AriError(400, 'Provided originator channel was not found');
    const id = this.claimId(p.channelId);

    const ch = this.newChannel(id, 'originated', p.endpoint, endpoint, p.app, p.appArgs ?? '');
    if (p.callerId) {
      const cid = parseCallerId(p.callerId);
      // ARI's originate sets both caller and connected line to the given Caller ID.
      if (cid.name !== '' || cid.number !== '') {
        ch.caller = cid;
        ch.connected = cid;
      }
    }
    const body = ch.toJson();
    ch.dialling = true;
    this.emitDial(ch, '', ch.dialstring);
    const timeoutS = p.timeout === undefined || p.timeout === 0 ? 30 : p.timeout;
    if (timeoutS > 0) ch.originateTimer = this.after(ch, timeoutS * 1000, () => this.originateTimedOut(ch));
    this.startFarEnd(ch);
    return body;
  }

  /** POST /channels/create: a Down channel, in Stasis at once; /dial sends the INVITE later. */
  create(p: CreateParams): AriChannel {
    if (!p.endpoint) throw new AriError(400, 'Endpoint must be specified');
    if (!p.app) throw new AriError(400, 'Application name is required');
    if (p.originator && p.formats) throw new AriError(400, "Originator and formats can't both be specified");
    const endpoint = splitEndpoint(p.endpoint);
    if (endpoint === undefined) throw new AriError(400, 'Invalid endpoint specified');
    const id = this.claimId(p.channelId);

    const ch = this.newChannel(id, 'created', p.endpoint, endpoint, p.app, p.appArgs ?? '');
    for (const [name, value] of Object.entries(p.variables ?? {})) {
      // The functions' writes publish the change before the channel enters Stasis (as captured).
      if (name === 'CALLERID(num)' || name === 'CALLERID(name)') {
        ch.caller = name === 'CALLERID(num)' ? { ...ch.caller, number: value } : { ...ch.caller, name: value };
        this.sink(ch.app, {
          type: 'ChannelCallerId', timestamp: asteriskTime(), caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened',
          channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app,
        });
      } else if (name === 'CONNECTEDLINE(num)' || name === 'CONNECTEDLINE(name)') {
        // What the INVITE's From will say when the dial names no caller to copy an identity from.
        this.updateConnected(ch, name === 'CONNECTEDLINE(num)' ? { ...ch.connected, number: value } : { ...ch.connected, name: value });
      } else ch.vars.set(name, value);
    }
    const body = ch.toJson();
    this.enterStasis(ch);
    return body;
  }

  /**
   * POST /channels/{id}/snoop: a channel named `Snoop/<snooped>-<seq>`, Up at once and in the app
   * (StasisStart, no ChannelDialplan); it goes when hung up or when the channel it snoops on does.
   */
  snoop(id: string, p: SnoopParams): AriChannel {
    const of = this.channelOr404(id);
    if (!p.app) throw new AriError(400, 'Application name is required');
    const id2 = this.claimId(p.snoopId);
    const seq = (this.snoopSeq++).toString(16).padStart(8, '0');
    const ch = new SimChannel(id2, `Snoop/${of.id}-${seq}`, 'snoop', `Snoop/${of.id}`, of.id, p.app, p.appArgs ?? '', undefined, asteriskTime(), this.opts.profile.protocolId);
    ch.snoop = { of, spy: p.spy ?? 'none', whisper: p.whisper ?? 'none' };
    ch.state = 'Up';
    ch.answered = true;
    this.channelsById.set(id2, ch);
    this.appsByName.get(p.app)?.channelIds.add(id2);
    const body = ch.toJson();
    // The audiohook makes the snooped channel's bridge set its peers' variables again (as captured).
    if (of.bridge !== undefined && of.bridge.size >= 2) this.refreshPeerVars(of.bridge);
    this.enterStasis(ch);
    return body;
  }

  /** DELETE /channels/{id}: a soft hangup; `reason`/`reason_code` set the cause ChannelDestroyed shows. */
  hangup(id: string, reason: string | undefined, reasonCode: string | undefined): void {
    const ch = this.channelOr404(id);
    let cause: number = CAUSE.NORMAL_CLEARING;
    if (reason && reasonCode) throw new AriError(400, "The reason and reason_code can't both be specified");
    if (reasonCode) {
      const parsed = Number.parseInt(reasonCode, 10);
      if (!Number.isFinite(parsed)) throw new AriError(400, 'Invalid reason_code specified');
      cause = parsed;
    } else if (reason) {
      const mapped = hangupReasonCause(reason);
      if (mapped === undefined) throw new AriError(400, 'Invalid reason for hangup provided');
      cause = mapped;
    }
    this.tearDown(ch, {
      request: { cause: CAUSE.SOFTHANGUP_EXPLICIT, soft: true },
      destroyCause: cause,
      ...this.finalDialStatus(ch, cause),
    });
  }

  /**
   * POST /channels/{id}/dial. Asterisk queues the dial to the channel's Stasis thread and answers
   * 204 at once (stasis_app_send_command_async); the INVITE and the Dial event follow when that
   * thread runs it — after up to `stasisLoopMs` for a channel sitting alone in Stasis.
   */
  dial(id: string, callerId: string | undefined, timeoutS: number): void {
    const ch = this.channelOr404(id);
    if (!ch.inStasis) throw new AriError(409, 'Channel not in Stasis application');
    if (ch.state !== 'Down' || ch.dialling) throw new AriError(409, "Channel is not in the 'Down' state");
    if (ch.kind !== 'created') throw new AriError(409, 'Dialing a channel not created by ARI');
    const caller = callerId ? this.channelsById.get(callerId) : undefined;
    if (caller !== undefined) {
      // ast_ari_channels_dial copies these from the caller; the dial's next snapshot shows a changed connected line as ChannelConnectedLine (as captured).
      ch.language = caller.language;
      this.updateConnected(ch, caller.caller);
    }
    ch.dialling = true;
    this.queueCommand(ch, () => this.runDial(ch, timeoutS));
  }

  /**
   * A provider's INVITE to `calledNumber` from `callerNumber`, which the bundled dialplan hands,
   * unanswered, to the app with `inbound,<number>` (a return call): StasisStart in state Ring, the
   * dialplan at the called number's extension (captures return-call, return-call-refused).
   */
  callIn(p: { channelId: string; endpoint: string; app: string; calledNumber: string; callerNumber: string }): AriChannel {
    const endpoint = splitEndpoint(p.endpoint);
    if (endpoint === undefined) throw new AriError(400, 'Invalid endpoint specified');
    const ch = this.newChannel(this.claimId(p.channelId), 'inbound', p.endpoint, endpoint, p.app, `inbound,${p.calledNumber}`);
    ch.caller = { ...ch.caller, number: p.callerNumber };
    ch.state = 'Ring';
    ch.dialplan = Object.freeze({ ...ch.dialplan, exten: p.calledNumber });
    const body = ch.toJson();
    this.enterStasis(ch);
    return body;
  }

  /** An inbound channel not yet answered is answered (Up); any other channel must be Up already, as captured. */
  answer(id: string): void {
    const ch = this.channelOr404(id);
    if (ch.kind === 'inbound' && ch.inStasis && ch.state !== 'Up') {
      ch.answered = true;
      ch.state = 'Up';
      this.sink(ch.app, { type: 'ChannelStateChange', timestamp: asteriskTime(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
      return;
    }
    this.controllable(id);
  }

  /** An inbound channel rings its caller (180); any other channel must be Up, as captured. */
  ring(id: string): void {
    const ch = this.channelOr404(id);
    if (ch.kind === 'inbound' && ch.inStasis) return;
    this.controllable(id);
  }

  // ---- playbacks -------------------------------------------------------------------------

  /** POST /channels/{id}/play[/{playbackId}]: 201 with the playback still `queued`. */
  play(channelId: string, media: readonly string[], lang: string | undefined, playbackId: string | undefined): AriPlayback {
    const ch = this.controllable(channelId);
    if (media.length === 0) throw new AriError(400, 'Missing parameter media');
    const id = playbackId || randomUUID();
    if (this.playbacksById.has(id) || this.bridgePlaybacksById.has(id)) throw new AriError(409, 'A playback with the given ID already exists');
    const pb = new SimPlayback(id, ch, media, lang || ch.language);
    this.playbacksById.set(id, pb);
    const body = pb.toJson();
    if (ch.activePlayback === undefined) this.startPlayback(pb);
    else ch.playQueue.push(pb);
    return body;
  }

  /**
   * POST /bridges/{id}/play[/{playbackId}]: 201 with the playback `queued`; an announcer joins the
   * bridge, then PlaybackStarted. Only the first media is played (the product sends one).
   */
  playToBridge(bridgeId: string, media: readonly string[], lang: string | undefined, playbackId: string | undefined): AriPlayback {
    const bridge = this.bridgeOr404(bridgeId);
    const first = media[0];
    if (first === undefined) throw new AriError(400, 'Missing parameter media');
    const id = playbackId || randomUUID();
    if (this.playbacksById.has(id) || this.bridgePlaybacksById.has(id)) throw new AriError(409, 'A playback with the given ID already exists');
    const announcer = new SimAnnouncer(`Announcer/ARI-${(this.announcerSeq++).toString(16).padStart(8, '0')};2`);
    const pb = new SimBridgePlayback(id, bridge, first, lang || 'en', announcer);
    this.bridgePlaybacksById.set(id, pb);
    const body = pb.toJson();
    this.partyJoined(bridge, announcer);
    pb.state = 'playing';
    this.emitBridgePlayback('PlaybackStarted', pb);
    // Like a channel's: `tone:` plays until stopped; anything else lasts `playbackMs`.
    if (!first.startsWith('tone:')) pb.timer = this.timers.after(this.opts.playbackMs, () => this.finishBridgePlayback(pb));
    return body;
  }

  getPlayback(id: string): AriPlayback {
    const onBridge = this.bridgePlaybacksById.get(id);
    if (onBridge !== undefined) return onBridge.toJson();
    return this.playbackOr404(id).toJson();
  }

  /** DELETE /playbacks/{id}: PlaybackFinished with state `done`, as the captures show. */
  stopPlayback(id: string): void {
    const onBridge = this.bridgePlaybacksById.get(id);
    if (onBridge !== undefined) this.finishBridgePlayback(onBridge);
    else this.finishPlayback(this.playbackOr404(id), 'done');
  }

  /** PlaybackFinished `done`, then the announcer leaves the bridge (the captured order). */
  private finishBridgePlayback(pb: SimBridgePlayback): void {
    if (!this.bridgePlaybacksById.delete(pb.id)) return;
    if (pb.timer !== undefined) this.timers.cancel(pb.timer);
    pb.timer = undefined;
    pb.state = 'done';
    this.emitBridgePlayback('PlaybackFinished', pb);
    if (this.bridgesById.get(pb.bridge.id) !== pb.bridge) return;
    const wasMultiParty = pb.bridge.technology === 'softmix';
    pb.bridge.remove(pb.announcer);
    this.partyLeft(pb.bridge, wasMultiParty);
  }

  private emitBridgePlayback(type: 'PlaybackStarted' | 'PlaybackFinished', pb: SimBridgePlayback): void {
    const timestamp = asteriskTime();
    for (const app of pb.bridge.apps) this.sink(app, { type, timestamp, playback: pb.toJson(), asterisk_id: ASTERISK_ID, application: app });
  }

  // ---- bridges ---------------------------------------------------------------------------

  listBridges(): AriBridge[] {
    return Array.from(this.bridgesById.values(), (b) => b.toJson());
  }

  getBridge(id: string): AriBridge {
    return this.bridgeOr404(id).toJson();
  }

  /**
   * POST /bridges and /bridges/{id}. For an existing id Asterisk 18.9 treats the call as an
   * update: a different name or any type is refused with 500, otherwise the bridge comes back.
   */
  createBridge(id: string | undefined, type: string | undefined, name: string | undefined): AriBridge {
    const existing = id ? this.bridgesById.get(id) : undefined;
    if (existing !== undefined) {
      if (name && name !== existing.name) throw new AriError(500, 'Changing bridge name is not implemented');
      if (type) throw new AriError(500, 'Supplying a bridge type when updating a bridge is not allowed.');
      return existing.toJson();
    }
    if (id !== undefined && id.length > MAX_UNIQUEID) throw new AriError(400, `Uniqueid length exceeds maximum of ${MAX_UNIQUEID}`);
    const words = (type || 'mixing').split(',').map((w) => w.trim()).filter((w) => w !== '');
    const known = new Set(['mixing', 'holding', 'dtmf_events', 'proxy_media', 'video_sfu', 'video_single']);
    if (words.some((w) => !known.has(w))) throw new AriError(500, 'Unable to create bridge');
    const bridge = new SimBridge(id || randomUUID(), words.includes('holding') ? 'holding' : 'mixing', name ?? '', asteriskTime());
    this.bridgesById.set(bridge.id, bridge);
    return bridge.toJson();
  }

  /**
   * DELETE /bridges/{id}: members go back to plain Stasis. BridgeDestroyed, as captured: none when
   * channels were still in it (their departure unsubscribes the app); for an empty bridge, at once,
   * or, while a channel moved out of it still holds it, when that channel ends.
   */
  destroyBridge(id: string): void {
    const bridge = this.bridgeOr404(id);
    this.bridgesById.delete(id);
    // Not captured: a bridge destroyed while a playback plays to it ends that playback.
    for (const pb of this.bridgePlaybacksById.values()) if (pb.bridge === bridge) this.finishBridgePlayback(pb);
    const members = Array.from(bridge.channels.values());
    for (const ch of members) this.leaveBridge(ch, bridge, false);
    for (const rec of this.recordingsByName.values()) if (rec.bridge === bridge) this.finishRecording(rec, false);
    if (members.length > 0) {
      for (const app of bridge.apps) this.appsByName.get(app)?.bridgeIds.delete(id);
      return;
    }
    if (Array.from(bridge.heldBy).some((ch) => !ch.gone)) bridge.destroyedPending = true;
    else this.emitBridgeDestroyed(bridge);
  }

  private emitBridgeDestroyed(bridge: SimBridge): void {
    const json = bridge.toJson();
    const timestamp = asteriskTime();
    for (const app of bridge.apps) {
      this.sink(app, { type: 'BridgeDestroyed', timestamp, bridge: json, asterisk_id: ASTERISK_ID, application: app });
      this.appsByName.get(app)?.bridgeIds.delete(bridge.id);
    }
  }

  /** A channel lets go of the bridge it was moved out of (it ends, or moves on). */
  private releaseHeldBridge(ch: SimChannel): void {
    const held = ch.heldBridge;
    if (held === undefined) return;
    ch.heldBridge = undefined;
    held.heldBy.delete(ch);
    if (held.destroyedPending && held.heldBy.size === 0) {
      held.destroyedPending = false;
      this.emitBridgeDestroyed(held);
    }
  }

  /**
   * POST /bridges/{id}/addChannel. Synchronous in Asterisk (stasis_app_send_command): the 204
   * comes after the channel's Stasis thread ran it, which for a channel alone in Stasis without
   * media is its next ~200 ms wake-up.
   */
  addChannel(bridgeId: string, channelIds: readonly string[]): Promise<void> {
    const bridge = this.bridgeOr404(bridgeId);
    const members = this.stasisChannels(channelIds);
    return this.runOnEach(members, (ch) => {
      if (!ch.gone && this.bridgesById.get(bridge.id) === bridge) this.enterBridge(ch, bridge);
    });
  }

  /**
   * POST /bridges/{id}/moh: Asterisk adds an announcer channel to the bridge that the app never
   * sees, but which counts as a party (technology, BRIDGEPEER, connected line), as captured.
   */
  startMoh(bridgeId: string, mohClass: string | undefined): void {
    const bridge = this.bridgeOr404(bridgeId);
    bridge.holdMusic = mohClass || 'default';
    if (bridge.announcer !== undefined) return;
    const announcer = new SimAnnouncer(`Announcer/ARI_MOH-${(this.announcerSeq++).toString(16).padStart(8, '0')};2`);
    bridge.announcer = announcer;
    this.partyJoined(bridge, announcer);
  }

  /** DELETE /bridges/{id}/moh: 409 "Bridge isn't playing music" when none plays (resource_bridges.c). */
  stopMoh(bridgeId: string): void {
    const bridge = this.bridgeOr404(bridgeId);
    if (bridge.holdMusic === undefined) throw new AriError(409, "Bridge isn't playing music");
    bridge.holdMusic = undefined;
    const announcer = bridge.announcer;
    if (announcer === undefined) return;
    bridge.announcer = undefined;
    const wasMultiParty = bridge.technology === 'softmix';
    bridge.remove(announcer);
    this.partyLeft(bridge, wasMultiParty);
  }

  removeChannel(bridgeId: string, channelIds: readonly string[]): Promise<void> {
    const bridge = this.bridgeOr404(bridgeId);
    const members = this.stasisChannels(channelIds);
    if (members.some((ch) => ch.bridge !== bridge)) throw new AriError(422, 'Channel not in this bridge');
    return this.runOnEach(members, (ch) => {
      if (!ch.gone && ch.bridge === bridge) this.leaveBridge(ch, bridge, true);
    });
  }

  bridgeSnapshots(): SimBridgeSnapshot[] {
    return this.listBridges();
  }

  // ---- the provider side (test control) --------------------------------------------------

  /** The provider sends BYE (or, before answer, a final failure with this cause). */
  farEndHangup(channelId: string, cause: number = CAUSE.NORMAL_CLEARING): void {
    const ch = this.channelsById.get(channelId);
    if (ch === undefined) throw new Error(`farEndHangup: no channel ${channelId}`);
    if (!ch.dialling && ch.kind !== 'inbound') throw new Error(`farEndHangup: channel ${channelId} was never dialled, so it has no far end`);
    if (ch.answered) this.tearDown(ch, { request: { cause: this.byeCause(ch, cause) }, destroyCause: cause });
    else this.tearDown(ch, this.farEndFailure(ch, cause));
  }

  /** A BYE's ChannelHangupRequest says its cause or none, by the version and whether the channel was once moved between bridges (versions.ts). */
  private byeCause(ch: SimChannel, cause: number): number | undefined {
    return this.opts.profile.byeCause(ch.moved) ? cause : undefined;
  }

  /** A final failure response before the answer: its cause, and its SIP code as 22 reports it. */
  private farEndFailure(ch: SimChannel, cause: number): HangupPlan {
    const sipCode = sipCodeForCause(cause);
    return {
      request: { cause, ...(sipCode !== undefined ? { sipCode } : {}) },
      destroyCause: cause,
      ...(sipCode !== undefined ? { destroySipCode: sipCode } : {}),
      ...this.finalDialStatus(ch, cause),
    };
  }

  farEndDtmf(channelId: string, digit: string): void {
    const ch = this.channelsById.get(channelId);
    if (ch === undefined) throw new Error(`farEndDtmf: no channel ${channelId}`);
    if (!ch.answered) throw new Error(`farEndDtmf: channel ${channelId} has not answered`);
    this.sink(ch.app, {
      type: 'ChannelDtmfReceived',
      timestamp: asteriskTime(),
      digit,
      duration_ms: DTMF_DURATION_MS,
      channel: ch.toJson(),
      asterisk_id: ASTERISK_ID,
      application: ch.app,
    });
  }

  // ---- internals: channel life -----------------------------------------------------------

  private newChannel(id: string, kind: LegKind, endpoint: string, parts: EndpointParts, app: string, appArgs: string): SimChannel {
    const seq = (this.channelSeq++).toString(16).padStart(8, '0');
    const ch = new SimChannel(id, `${parts.tech}/${parts.peer}-${seq}`, kind, endpoint, parts.resource, app, appArgs, randomUUID(), asteriskTime(), this.opts.profile.protocolId);
    this.channelsById.set(id, ch);
    this.appsByName.get(app)?.channelIds.add(id);
    return ch;
  }

  private claimId(requested: string | undefined): string {
    if (requested && requested.length > MAX_UNIQUEID) throw new AriError(400, `Uniqueid length exceeds maximum of ${MAX_UNIQUEID}`);
    const id = requested || randomUUID();
    if (this.channelsById.has(id)) throw new AriError(409, 'Channel with given unique ID already exists');
    return id;
  }

  private enterStasis(ch: SimChannel): void {
    const app = this.appsByName.get(ch.app);
    if (app === undefined || !app.active) {
      // stasis_app_exec refuses an app nobody registered (or whose socket is gone): the leg hangs up.
      this.tearDown(ch, { destroyCause: CAUSE.UNKNOWN });
      return;
    }
    const appData = ch.stasisAppData();
    ch.dialplan = Object.freeze({ ...ch.dialplan, app_name: 'Stasis', app_data: appData });
    if (ch.kind === 'created') {
      this.sink(ch.app, {
        type: 'ChannelDialplan',
        timestamp: asteriskTime(),
        dialplan_app: 'Stasis',
        dialplan_app_data: appData,
        channel: ch.toJson(),
        asterisk_id: ASTERISK_ID,
        application: ch.app,
      });
    }
    ch.inStasis = true;
    // A snoop channel never ran the Stasis dialplan application: no STASISSTATUS (as captured); a
    // dialplan channel sets it while the app is not yet (and no longer) subscribed to it.
    if (ch.kind !== 'snoop' && ch.kind !== 'inbound') this.setVar(ch, 'STASISSTATUS', '');
    this.sink(ch.app, { type: 'StasisStart', timestamp: asteriskTime(), args: ch.stasisArgs(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
  }

  /** Only an originated leg that never answered gets a final Dial (from main/dial.c). */
  private finalDialStatus(ch: SimChannel, cause: number): { dialStatus?: string } {
    return ch.kind === 'originated' && !ch.answered ? { dialStatus: dialStatusForCause(cause) } : {};
  }

  /**
   * Every way a channel ends, in the captures' order: ChannelHangupRequest, failed playbacks,
   * the originate's final Dial, BRIDGEPEER cleared + ChannelLeftBridge, StasisEnd +
   * STASISSTATUS, ChannelDestroyed. The other leg of a call is never touched.
   */
  private tearDown(ch: SimChannel, plan: HangupPlan): void {
    if (ch.gone) return;
    ch.gone = true;
    for (const handle of ch.timers) this.timers.cancel(handle);
    ch.timers.clear();
    const techCause = this.opts.profile.techCause;
    if (this.opts.profile.rtpStatistics) this.publishRtpStatistics(ch);
    if (plan.request !== undefined) {
      this.sink(ch.app, {
        ...(plan.request.cause !== undefined ? { cause: plan.request.cause } : {}),
        ...(techCause && plan.request.sipCode !== undefined ? { tech_cause: plan.request.sipCode } : {}),
        ...(plan.request.soft ? { soft: true } : {}),
        type: 'ChannelHangupRequest',
        timestamp: asteriskTime(),
        channel: ch.toJson(),
        asterisk_id: ASTERISK_ID,
        application: ch.app,
      });
    }
    ch.deferred.length = 0;
    for (const pb of playbacksOf(ch)) this.finishPlayback(pb, 'failed');
    if (plan.dialStatus !== undefined) this.emitDial(ch, plan.dialStatus, ch.dialstring);
    if (ch.bridge !== undefined) this.leaveBridge(ch, ch.bridge, true);
    this.releaseHeldBridge(ch);
    if (ch.inStasis) {
      this.sink(ch.app, { type: 'StasisEnd', timestamp: asteriskTime(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
      if (ch.kind !== 'snoop' && ch.kind !== 'inbound') this.setVar(ch, 'STASISSTATUS', 'SUCCESS');
      ch.inStasis = false;
    }
    ch.dialplan = SimChannel.restingDialplan(ch.kind);
    // The snoop channels on this one go with it.
    for (const other of [...this.channelsById.values()]) {
      if (other.snoop?.of === ch) this.tearDown(other, { request: { cause: CAUSE.NORMAL_CLEARING, soft: true }, destroyCause: CAUSE.NORMAL_CLEARING });
    }
    if (ch.kind === 'snoop') {
      // Not the app's own channel: its StasisEnd was the last the app hears of it (as captured).
      this.channelsById.delete(ch.id);
      this.appsByName.get(ch.app)?.channelIds.delete(ch.id);
      return;
    }
    // A channel that came in through the dialplan has left the app with its StasisEnd: its
    // ChannelDestroyed reaches no app (seen on a real 18.9-cert4 and 22, spec/e2e/return-calls.e2e.ts).
    if (ch.kind !== 'inbound') this.sink(ch.app, {
      type: 'ChannelDestroyed',
      timestamp: asteriskTime(),
      cause: plan.destroyCause,
      cause_txt: causeText(plan.destroyCause),
      ...(techCause && plan.destroySipCode !== undefined ? { tech_cause: plan.destroySipCode } : {}),
      channel: ch.toJson(),
      asterisk_id: ASTERISK_ID,
      application: ch.app,
    });
    this.channelsById.delete(ch.id);
    this.appsByName.get(ch.app)?.channelIds.delete(ch.id);
    // Commands still queued for the Stasis loop see a gone channel and finish as no-ops.
    const pending = ch.pending;
    ch.pending = undefined;
    if (pending !== undefined) for (const run of pending) run();
  }

  /**
   * chan_pjsip's hang-up of a channel that had media (answered, or early media): its RTP
   * statistics, and the same as *BRIDGED on its one bridge peer (a bridge of exactly two parties).
   */
  private publishRtpStatistics(ch: SimChannel): void {
    if (ch.kind === 'snoop' || !(ch.answered || this.earlyMedia.has(ch))) return;
    const bridge = ch.bridge;
    const peer = bridge !== undefined && bridge.size === 2 ? bridge.members().find((m) => m !== ch) : undefined;
    for (const [variable, value] of RTP_STATISTICS) this.setVar(ch, variable, value);
    if (peer instanceof SimChannel) for (const [variable, value] of RTP_STATISTICS) this.setVar(peer, `${variable}BRIDGED`, value);
  }

  private originateTimedOut(ch: SimChannel): void {
    // main/dial.c hangs the leg up itself: no ChannelHangupRequest, no Dial; the cause by the version.
    const { originateCause, sipCode } = this.opts.profile.ringOut;
    if (!ch.answered) this.tearDown(ch, { destroyCause: originateCause, ...(sipCode !== undefined ? { destroySipCode: sipCode } : {}) });
  }

  private runDial(ch: SimChannel, timeoutS: number): void {
    if (ch.gone) return;
    // app_control_dial parks a lone channel in Stasis' hidden dial bridge (no events for it).
    if (ch.bridge === undefined) ch.inDialBridge = true;
    const refreshPeers = ch.bridge !== undefined && ch.bridge.size >= 2 ? ch.bridge : undefined;
    if (refreshPeers !== undefined && this.opts.profile.peersBeforeDial) this.refreshPeerVars(refreshPeers);
    this.emitDial(ch, '', ch.dialstring);
    if (refreshPeers !== undefined && !this.opts.profile.peersBeforeDial) this.refreshPeerVars(refreshPeers);
    if (timeoutS > 0) {
      const { dialCause, sipCode } = this.opts.profile.ringOut;
      ch.dialTimer = this.after(ch, timeoutS * 1000, () => {
        if (!ch.answered) this.tearDown(ch, { request: { cause: CAUSE.SOFTHANGUP_EXPLICIT, soft: true }, destroyCause: dialCause, ...(sipCode !== undefined ? { destroySipCode: sipCode } : {}) });
      });
    }
    this.startFarEnd(ch);
  }

  // ---- internals: the far end ------------------------------------------------------------

  private startFarEnd(ch: SimChannel): void {
    const defaults: FarEndDefaults = { ringMs: this.opts.ringMs, hangupAfterMs: this.opts.hangupAfterMs, dtmfAfterMs: this.opts.dtmfAfterMs, earlyMediaMs: this.opts.earlyMediaMs };
    // chan_pjsip puts the connected line in the INVITE's From (res_pjsip_session.c set_from_header).
    this.invites.push({ channelId: ch.id, endpoint: ch.endpoint, fromNumber: ch.connected.number });
    const script = this.farEndChooser?.(ch.endpoint) ?? defaultFarEnd(ch.endpoint, defaults);
    const plan = planFor(script, defaults);
    this.after(ch, SIGNALLING_MS + (plan.ringingAfterMs ?? 0), () => {
      if (plan.earlyMedia) this.farEndProgress(ch);
      else if (plan.rings) this.farEndRinging(ch);
      if (plan.outcome.kind === 'none') return;
      const outcome = plan.outcome;
      const settle = (): void => this.farEndSettles(ch, outcome);
      if (plan.rings && plan.ringMs > 0) this.after(ch, plan.ringMs, settle);
      else settle();
    });
  }

  private farEndRinging(ch: SimChannel): void {
    if (ch.gone || ch.answered) return;
    ch.state = 'Ringing';
    this.sink(ch.app, { type: 'ChannelStateChange', timestamp: asteriskTime(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
    this.emitDial(ch, 'RINGING', ch.kind === 'originated' ? ch.dialstring : '');
  }

  /** 183 with SDP: the state stays (Down for a created channel), only the Dial event says it (main/bridge_channel.c). */
  private farEndProgress(ch: SimChannel): void {
    if (ch.gone || ch.answered) return;
    // The SDP sets up media: the bridge re-reads its peers, then publishes the progress.
    const bridge = ch.bridge;
    if (ch.kind === 'created' && bridge !== undefined && bridge.size >= 2) this.refreshPeerVars(bridge);
    this.earlyMedia.add(ch);
    this.emitDial(ch, 'PROGRESS', ch.kind === 'originated' ? ch.dialstring : '');
    // The 183 carries the callee's identity to its peer, held while the peer plays its ringback.
    if (ch.kind === 'created' && bridge !== undefined && bridge.size === 2) {
      for (const peer of channelsOf(bridge)) if (peer !== ch) this.updateConnected(peer, ch.caller);
    }
  }

  private farEndSettles(ch: SimChannel, outcome: Exclude<FarEndPlan['outcome'], { kind: 'none' }>): void {
    if (ch.gone) return;
    if (outcome.kind === 'fail') {
      this.tearDown(ch, this.farEndFailure(ch, outcome.cause));
      return;
    }
    ch.answered = true;
    const bridge = ch.bridge;
    // Media set up by an earlier 183 is not set up again: no second re-read of the peers (target-early-media.json).
    if (ch.kind === 'created' && bridge !== undefined && bridge.size >= 2 && !this.earlyMedia.has(ch)) this.refreshPeerVars(bridge);
    ch.state = 'Up';
    this.sink(ch.app, { type: 'ChannelStateChange', timestamp: asteriskTime(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
    this.emitDial(ch, 'ANSWER', ch.kind === 'originated' ? ch.dialstring : '');
    if (ch.kind === 'originated') {
      this.cancel(ch, ch.originateTimer);
      this.enterStasis(ch);
    } else {
      this.cancel(ch, ch.dialTimer);
      // The callee's identity reaches its peer as connected line, in a two-party bridge only (a multi-party one passes none on).
      if (bridge !== undefined && bridge.size === 2) for (const peer of channelsOf(bridge)) if (peer !== ch) this.updateConnected(peer, ch.caller);
    }
    if (outcome.hangupAfterMs !== undefined) {
      this.after(ch, outcome.hangupAfterMs, () => this.tearDown(ch, { request: { cause: this.byeCause(ch, CAUSE.NORMAL_CLEARING) }, destroyCause: CAUSE.NORMAL_CLEARING }));
    }
    const dtmf = outcome.dtmf;
    if (dtmf !== undefined) this.after(ch, dtmf.afterMs, () => this.farEndDtmf(ch.id, dtmf.digit));
    const keys = outcome.keys;
    if (keys !== undefined) {
      keys.digits.split('').forEach((digit, i) => this.after(ch, keys.afterMs + i * keys.gapMs, () => this.farEndDtmf(ch.id, digit)));
    }
  }

  // ---- internals: bridges ----------------------------------------------------------------

  private enterBridge(ch: SimChannel, bridge: SimBridge): void {
    if (ch.bridge === bridge) return;
    const from = ch.bridge;
    if (from !== undefined) {
      // A move: the channel keeps the bridge it left referenced until it ends or moves on.
      this.leaveBridge(ch, from, true);
      this.releaseHeldBridge(ch);
      ch.moved = true;
      ch.heldBridge = from;
      from.heldBy.add(ch);
    }
    ch.inDialBridge = false;
    ch.bridge = bridge;
    if (!bridge.apps.has(ch.app)) {
      bridge.apps.add(ch.app);
      this.appsByName.get(ch.app)?.bridgeIds.add(bridge.id);
    }
    this.partyJoined(bridge, ch);
  }

  /**
   * A party joins: the one that turns a two-party bridge multi-party heads Asterisk's list (the
   * captures' BRIDGEPEER order); the event shows the technology from before the smart bridge re-picks it.
   */
  private partyJoined(bridge: SimBridge, party: BridgeParty): void {
    bridge.add(party, bridge.bridgeType === 'mixing' && bridge.size === 2);
    if (party instanceof SimChannel) this.emitBridgeMove('ChannelEnteredBridge', party, bridge);
    bridge.retune();
    if (bridge.size < 2) return;
    this.refreshPeerVars(bridge);
    // An answered channel turning the bridge multi-party (a supervisor barging in): Asterisk sets the peer variables three times over (as captured: supervise).
    if (party instanceof SimChannel && party.answered && bridge.size === 3 && bridge.members().every((m) => m instanceof SimChannel)) {
      this.refreshPeerVars(bridge);
      this.refreshPeerVars(bridge);
    }
    // Only a two-party bridge passes identities on as connected lines when a party joins.
    if (bridge.size !== 2) return;
    if (party instanceof SimAnnouncer) {
      // The announcer's (empty) identity reaches the one channel it joins.
      for (const peer of channelsOf(bridge)) this.updateConnected(peer, party.caller);
    } else if (party.kind === 'snoop') {
      // A snoop channel and its peer take each other's identity, the snoop first (as captured: supervise).
      const peer = bridge.members().find((other) => other !== party);
      if (peer !== undefined) this.updateConnected(party, peer.caller);
      if (peer instanceof SimChannel) this.updateConnected(peer, party.caller);
    } else if (party.kind === 'inbound') {
      // A customer's own channel, answered, joining its agent: the peer variables set three times
      // over and the customer takes the agent's identity as connected line (captured: return-call).
      this.refreshPeerVars(bridge);
      this.refreshPeerVars(bridge);
      const peer = bridge.members().find((other) => other !== party);
      if (peer !== undefined) this.updateConnected(party, peer.caller);
    } else if (party.state !== 'Up') {
      // A leg that has not answered takes its bridge peer's identity as connected line.
      const peer = bridge.members().find((other) => other !== party);
      if (peer !== undefined) this.updateConnected(party, peer.caller);
    } else {
      // One that answered outside the bridge (the customer after the consent announcement) gives
      // its identity to the peer it joins (captured: consent-announcement).
      const peer = bridge.members().find((other) => other !== party);
      if (peer instanceof SimChannel) this.updateConnected(peer, party.caller);
    }
  }

  private leaveBridge(ch: SimChannel, bridge: SimBridge, refreshPeers: boolean): void {
    for (const name of ['BRIDGEPEER', 'BRIDGEPVTCALLID']) if (ch.vars.has(name)) this.setVar(ch, name, '');
    const wasMultiParty = bridge.technology === 'softmix';
    bridge.remove(ch);
    ch.bridge = undefined;
    this.emitBridgeMove('ChannelLeftBridge', ch, bridge);
    if (refreshPeers) this.partyLeft(bridge, wasMultiParty);
    else bridge.retune();
  }

  private partyLeft(bridge: SimBridge, wasMultiParty: boolean): void {
    bridge.retune();
    if (bridge.size < 2) return;
    this.refreshPeerVars(bridge);
    if (wasMultiParty && bridge.size === 2) {
      // Back to two parties: Asterisk set the peer variables three times over (as captured), then
      // each party's connected line becomes the other's identity.
      this.refreshPeerVars(bridge);
      this.refreshPeerVars(bridge);
      const [a, b] = bridge.members();
      if (a !== undefined && b !== undefined) {
        if (a instanceof SimChannel) this.updateConnected(a, b.caller);
        if (b instanceof SimChannel) this.updateConnected(b, a.caller);
      }
    }
  }

  /**
   * set_bridge_peer_vars(): two parties see each other's name and Call-ID; more see a list of
   * the others' names (in the bridge's order) and lose BRIDGEPVTCALLID (published only if set).
   */
  private refreshPeerVars(bridge: SimBridge): void {
    const members = bridge.members();
    for (const ch of members) {
      if (!(ch instanceof SimChannel)) continue;
      const others = members.filter((o) => o !== ch);
      const only = others.length === 1 ? others[0] : undefined;
      if (only !== undefined) {
        this.setVar(ch, 'BRIDGEPEER', only.name);
        // The announcer has no SIP Call-ID: the variable is unset (published only if it was set).
        if (only.sipCallId !== undefined) this.setVar(ch, 'BRIDGEPVTCALLID', only.sipCallId);
        else if (ch.vars.has('BRIDGEPVTCALLID')) this.setVar(ch, 'BRIDGEPVTCALLID', '');
      } else {
        this.setVar(ch, 'BRIDGEPEER', others.map((o) => o.name).join(','));
        if (ch.vars.has('BRIDGEPVTCALLID')) this.setVar(ch, 'BRIDGEPVTCALLID', '');
      }
    }
  }

  private updateConnected(ch: SimChannel, identity: CallerId): void {
    const apply = (): void => {
      if (ch.gone || (ch.connected.name === identity.name && ch.connected.number === identity.number)) return;
      ch.connected = identity;
      this.sink(ch.app, { type: 'ChannelConnectedLine', timestamp: asteriskTime(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
    };
    // A playing channel's thread is busy streaming: the update waits until the playback ends.
    if (ch.activePlayback !== undefined) ch.deferred.push(apply);
    else apply();
  }

  // ---- recordings ------------------------------------------------------------------------

  /**
   * POST /bridges/{id}/record: 201 with the recording `queued`; a recorder channel joins the bridge
   * (a party for its technology and peers, as captured), then RecordingStarted. An unknown format is
   * refused with 422 after the recorder joined and left; a name in use with 422 (ifExists=fail).
   */
  recordBridge(bridgeId: string, name: string | undefined, format: string | undefined): AriLiveRecording {
    const bridge = this.bridgeOr404(bridgeId);
    if (!name) throw new AriError(400, 'Recording name is required');
    if (!format) throw new AriError(400, 'Recording format is required');
    if (this.recordingsByName.has(name) || this.storedRecordings.has(name)) throw new AriError(422, 'Recording with the same name already exists on the system');
    const recorder = new SimAnnouncer(`Recorder/ARI-${(this.recorderSeq++).toString(16).padStart(8, '0')};2`);
    this.partyJoined(bridge, recorder);
    if (!RECORDING_FORMATS.has(format)) {
      const wasMultiParty = bridge.technology === 'softmix';
      bridge.remove(recorder);
      this.partyLeft(bridge, wasMultiParty);
      throw new AriError(422, 'specified format is unknown on this system');
    }
    const rec: SimRecording = { name, format, bridge, recorder, state: 'queued', startedAt: Date.now(), pausedMs: 0 };
    this.recordingsByName.set(name, rec);
    const answer = recordingJson(rec);
    rec.state = 'recording';
    this.emitRecording('RecordingStarted', rec);
    return answer;
  }

  /** POST /recordings/live/{name}/pause. */
  pauseRecording(name: string): void {
    const rec = this.recordingOr404(name);
    if (rec.state === 'paused') return;
    rec.state = 'paused';
    rec.pausedAt = Date.now();
  }

  /** DELETE /recordings/live/{name}/pause. */
  unpauseRecording(name: string): void {
    const rec = this.recordingOr404(name);
    if (rec.state !== 'paused' || rec.pausedAt === undefined) return;
    rec.pausedMs += Date.now() - rec.pausedAt;
    rec.pausedAt = undefined;
    rec.state = 'recording';
  }

  /** POST /recordings/live/{name}/stop: the recorder leaves, RecordingFinished, the file is stored. */
  stopRecording(name: string): void {
    this.finishRecording(this.recordingOr404(name), true);
  }

  /** GET /recordings/stored/{name}/file. */
  storedRecordingFile(name: string): { format: string; file: Buffer } {
    const stored = this.storedRecordings.get(name);
    if (stored === undefined) throw new AriError(404, 'Recording not found');
    return stored;
  }

  /** DELETE /recordings/stored/{name}. */
  deleteStoredRecording(name: string): void {
    if (!this.storedRecordings.delete(name)) throw new AriError(404, 'Recording not found');
  }

  private recordingOr404(name: string): SimRecording {
    const rec = this.recordingsByName.get(name);
    if (rec === undefined) throw new AriError(404, 'Recording not found');
    return rec;
  }

  /** The recording ends (stopped, or its bridge destroyed): stored as a WAV of silence as long as the unpaused time. */
  private finishRecording(rec: SimRecording, recorderLeaves: boolean): void {
    if (!this.recordingsByName.delete(rec.name)) return;
    const now = Date.now();
    const paused = rec.pausedMs + (rec.pausedAt !== undefined ? now - rec.pausedAt : 0);
    const seconds = Math.max(0, (now - rec.startedAt - paused) / 1000);
    this.storedRecordings.set(rec.name, { format: rec.format, file: silentWav(seconds) });
    if (recorderLeaves && this.bridgesById.get(rec.bridge.id) === rec.bridge) {
      const wasMultiParty = rec.bridge.technology === 'softmix';
      rec.bridge.remove(rec.recorder);
      this.partyLeft(rec.bridge, wasMultiParty);
    } else {
      rec.bridge.remove(rec.recorder);
    }
    this.emitRecording('RecordingFinished', rec, { state: 'done', duration: Math.floor(seconds) });
  }

  private emitRecording(type: 'RecordingStarted' | 'RecordingFinished', rec: SimRecording, patch: Partial<AriLiveRecording> = {}): void {
    const recording = { ...recordingJson(rec), ...patch };
    for (const app of rec.bridge.apps) this.sink(app, { type, timestamp: asteriskTime(), recording, asterisk_id: ASTERISK_ID, application: app });
  }

  // ---- internals: playbacks --------------------------------------------------------------

  private startPlayback(pb: SimPlayback): void {
    pb.channel.activePlayback = pb;
    pb.state = 'playing';
    this.emitPlayback('PlaybackStarted', pb);
    this.scheduleMedia(pb);
  }

  /** `tone:` media plays until stopped; anything else lasts `playbackMs`. */
  private scheduleMedia(pb: SimPlayback): void {
    if (pb.mediaUri.startsWith('tone:')) return;
    // A sound this Asterisk does not have: PlaybackFinished `failed` at once, as captured.
    const sound = /^sound:(.*)$/.exec(pb.mediaUri)?.[1];
    if (sound !== undefined && !sound.startsWith('http') && !(this.opts.sounds ?? SIM_SOUNDS).includes(sound)) {
      this.finishPlayback(pb, 'failed');
      return;
    }
    pb.timer = this.after(pb.channel, this.opts.playbackMs, () => {
      pb.timer = undefined;
      if (pb.index + 1 < pb.media.length) {
        pb.index += 1;
        pb.state = 'continuing';
        this.emitPlayback('PlaybackContinuing', pb);
        pb.state = 'playing';
        this.scheduleMedia(pb);
      } else {
        this.finishPlayback(pb, 'done');
      }
    });
  }

  private finishPlayback(pb: SimPlayback, state: 'done' | 'failed'): void {
    if (pb.state === 'done' || pb.state === 'failed') return;
    const ch = pb.channel;
    this.cancel(ch, pb.timer);
    pb.timer = undefined;
    pb.state = state;
    this.playbacksById.delete(pb.id);
    const queued = ch.playQueue.indexOf(pb);
    if (queued >= 0) ch.playQueue.splice(queued, 1);
    this.emitPlayback('PlaybackFinished', pb);
    if (ch.activePlayback !== pb) return;
    ch.activePlayback = undefined;
    if (ch.gone) return;
    const held = ch.deferred.splice(0);
    for (const apply of held) apply();
    const next = ch.playQueue.shift();
    if (next !== undefined) this.startPlayback(next);
  }

  // ---- internals: Stasis command queue ---------------------------------------------------

  /**
   * Run a command on the channel's Stasis thread. With stasisLoopMs > 0 a channel that is in no
   * bridge sleeps in ast_waitfor() and picks queued commands up only on its next wake-up; every
   * command queued until then runs in order at that wake-up. A bridged channel runs them at once.
   */
  private queueCommand(ch: SimChannel, run: () => void): void {
    if (ch.pending !== undefined) {
      ch.pending.push(run);
      return;
    }
    if (this.opts.stasisLoopMs > 0 && ch.bridge === undefined && !ch.inDialBridge) {
      ch.pending = [run];
      ch.wakeTimer = this.after(ch, this.opts.stasisLoopMs, () => {
        const queued = ch.pending ?? [];
        ch.pending = undefined;
        ch.wakeTimer = undefined;
        for (const command of queued) command();
      });
      return;
    }
    run();
  }

  private runOnEach(members: readonly SimChannel[], command: (ch: SimChannel) => void): Promise<void> {
    return Promise.all(members.map((ch) => new Promise<void>((resolve) => this.queueCommand(ch, () => {
      command(ch);
      resolve();
    })))).then(() => undefined);
  }

  // ---- internals: lookups and emitters ---------------------------------------------------

  private channelOr404(id: string): SimChannel {
    const ch = this.channelsById.get(id);
    if (ch === undefined) throw new AriError(404, 'Channel not found');
    return ch;
  }

  private bridgeOr404(id: string): SimBridge {
    const bridge = this.bridgesById.get(id);
    if (bridge === undefined) throw new AriError(404, 'Bridge not found');
    return bridge;
  }

  private playbackOr404(id: string): SimPlayback {
    const pb = this.playbacksById.get(id);
    if (pb === undefined) throw new AriError(404, 'Playback not found');
    return pb;
  }

  /** find_control() + channel_state_invalid(): in Stasis and neither Down nor Ringing. */
  private controllable(id: string): SimChannel {
    const ch = this.channelOr404(id);
    if (!ch.inStasis) throw new AriError(409, 'Channel not in Stasis application');
    if (ch.state !== 'Up') throw new AriError(412, 'Channel in invalid state');
    return ch;
  }

  /** The bridges resource's channel lookup: 400 for an unknown channel, 422 outside Stasis. */
  private stasisChannels(ids: readonly string[]): SimChannel[] {
    const wanted = ids.filter((id) => id !== '');
    if (wanted.length === 0) throw new AriError(400, 'Missing parameter channel');
    return wanted.map((id) => {
      const ch = this.channelsById.get(id);
      if (ch === undefined) throw new AriError(400, 'Channel not found');
      if (!ch.inStasis) throw new AriError(422, 'Channel not in Stasis application');
      return ch;
    });
  }

  private after(ch: SimChannel, ms: number, fn: () => void): NodeJS.Timeout {
    const handle = this.timers.after(ms, () => {
      ch.timers.delete(handle);
      fn();
    });
    ch.timers.add(handle);
    return handle;
  }

  private cancel(ch: SimChannel, handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    this.timers.cancel(handle);
    ch.timers.delete(handle);
  }

  private setVar(ch: SimChannel, variable: string, value: string): void {
    if (value === '') ch.vars.delete(variable);
    else ch.vars.set(variable, value);
    this.sink(ch.app, { variable, value, type: 'ChannelVarset', timestamp: asteriskTime(), channel: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
  }

  private emitDial(ch: SimChannel, dialstatus: string, dialstring: string): void {
    this.sink(ch.app, { type: 'Dial', timestamp: asteriskTime(), dialstatus, forward: '', dialstring, peer: ch.toJson(), asterisk_id: ASTERISK_ID, application: ch.app });
  }

  private emitBridgeMove(type: 'ChannelEnteredBridge' | 'ChannelLeftBridge', ch: SimChannel, bridge: SimBridge): void {
    const timestamp = asteriskTime();
    const bridgeJson = bridge.toJson();
    const channel = ch.toJson();
    for (const app of new Set([ch.app, ...bridge.apps])) {
      this.sink(app, { type, timestamp, bridge: bridgeJson, channel, asterisk_id: ASTERISK_ID, application: app });
    }
  }

  private emitPlayback(type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished', pb: SimPlayback): void {
    this.sink(pb.channel.app, { type, timestamp: asteriskTime(), playback: pb.toJson(), asterisk_id: ASTERISK_ID, application: pb.channel.app });
  }
}

function recordingJson(rec: SimRecording): AriLiveRecording {
  return { name: rec.name, format: rec.format, state: rec.state, target_uri: `bridge:${rec.bridge.id}` };
}

/** A mono 8 kHz 16-bit WAV of `seconds` of silence: what a recording of the simulator's (media-less) calls holds. */
function silentWav(seconds: number): Buffer {
  const data = Math.round(seconds * 8000) * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

/** A bridge's app-visible channels, in its order. */
function channelsOf(bridge: SimBridge): SimChannel[] {
  return bridge.members().filter((p): p is SimChannel => p instanceof SimChannel);
}

/** The playing one first, then the queued ones. */
function playbacksOf(ch: SimChannel): SimPlayback[] {
  return ch.activePlayback === undefined ? [...ch.playQueue] : [ch.activePlayback, ...ch.playQueue];
}

interface EndpointParts {
  tech: string;
  /** What follows the technology: `+15551230001@trunk-main`, the Dial event's dialstring. */
  resource: string;
  /** The SIP endpoint the channel is named after: `trunk-main`. */
  peer: string;
}

function splitEndpoint(endpoint: string): EndpointParts | undefined {
  const slash = endpoint.indexOf('/');
  if (slash <= 0 || slash === endpoint.length - 1) return undefined;
  const tech = endpoint.slice(0, slash);
  const resource = endpoint.slice(slash + 1);
  const at = resource.lastIndexOf('@');
  return { tech, resource, peer: at >= 0 ? resource.slice(at + 1) : resource };
}
