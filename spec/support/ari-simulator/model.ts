/**
 * The simulated Asterisk's objects (channels, bridges, playbacks, applications) and the JSON
 * shapes ARI gives them on the wire (18.9's; 22 adds the fields marked so, see versions.ts),
 * including every event type the simulator sends.
 */

/** The Asterisk system identity the captures show in every event. */
export const ASTERISK_ID = '02:fc:00:00:00:01';
/**
 * The context of the bundle's `trunk-main` endpoint (asterisk/pjsip.conf), where an outbound
 * channel sits before Stasis; the recorded fixtures show it in every channel snapshot.
 */
export const TRUNK_CONTEXT = 'from-provider';

/** Asterisk's event clock: `2026-11-24T00:16:10.206+0000`. */
export function asteriskTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `Ring`: an inbound channel (a provider's INVITE) not yet answered. */
export type ChannelState = 'Down' | 'Ring' | 'Ringing' | 'Up';
export type PlaybackState = 'queued' | 'playing' | 'continuing' | 'done' | 'failed';

/** Immutable: a channel swaps in a new object when it changes, so snapshots can share it. */
export interface CallerId {
  readonly name: string;
  readonly number: string;
}

export interface DialplanCep {
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
  readonly app_name: string;
  readonly app_data: string;
}

export interface AriChannel {
  id: string;
  name: string;
  state: ChannelState;
  /** 22 only: the SIP Call-ID, empty for a channel without one (a snoop). */
  protocol_id?: string;
  caller: CallerId;
  connected: CallerId;
  accountcode: string;
  dialplan: DialplanCep;
  creationtime: string;
  language: string;
}

export interface AriBridge {
  id: string;
  technology: string;
  bridge_type: 'mixing' | 'holding';
  bridge_class: string;
  creator: string;
  name: string;
  channels: string[];
  creationtime: string;
  video_mode: string;
}

export interface AriPlayback {
  id: string;
  media_uri: string;
  next_media_uri?: string;
  target_uri: string;
  language: string;
  state: PlaybackState;
}

export interface AriApplication {
  name: string;
  channel_ids: string[];
  bridge_ids: string[];
  endpoint_ids: string[];
  device_names: string[];
  events_allowed: object[];
  events_disallowed: object[];
}

interface EventTail {
  asterisk_id: string;
  application: string;
}
export interface DialEvent extends EventTail { type: 'Dial'; timestamp: string; dialstatus: string; forward: string; dialstring: string; peer: AriChannel }
export interface ChannelStateChangeEvent extends EventTail { type: 'ChannelStateChange'; timestamp: string; channel: AriChannel }
export interface ChannelVarsetEvent extends EventTail { variable: string; value: string; type: 'ChannelVarset'; timestamp: string; channel: AriChannel }
export interface StasisStartEvent extends EventTail { type: 'StasisStart'; timestamp: string; args: string[]; channel: AriChannel }
export interface StasisEndEvent extends EventTail { type: 'StasisEnd'; timestamp: string; channel: AriChannel }
export interface ChannelDialplanEvent extends EventTail { type: 'ChannelDialplan'; timestamp: string; dialplan_app: string; dialplan_app_data: string; channel: AriChannel }
/** `tech_cause` (22 only): the SIP response or request code behind the hang-up. */
export interface ChannelHangupRequestEvent extends EventTail { cause?: number; tech_cause?: number; soft?: boolean; type: 'ChannelHangupRequest'; timestamp: string; channel: AriChannel }
export interface ChannelDestroyedEvent extends EventTail { type: 'ChannelDestroyed'; timestamp: string; cause: number; cause_txt: string; tech_cause?: number; channel: AriChannel }
export interface ChannelEnteredBridgeEvent extends EventTail { type: 'ChannelEnteredBridge'; timestamp: string; bridge: AriBridge; channel: AriChannel }
export interface ChannelLeftBridgeEvent extends EventTail { type: 'ChannelLeftBridge'; timestamp: string; bridge: AriBridge; channel: AriChannel }
export interface ChannelConnectedLineEvent extends EventTail { type: 'ChannelConnectedLine'; timestamp: string; channel: AriChannel }
export interface ChannelDtmfReceivedEvent extends EventTail { type: 'ChannelDtmfReceived'; timestamp: string; digit: string; duration_ms: number; channel: AriChannel }
export interface PlaybackEvent extends EventTail { type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished'; timestamp: string; playback: AriPlayback }
export interface AriLiveRecording {
  name: string;
  format: string;
  state: 'queued' | 'recording' | 'paused' | 'done' | 'failed';
  target_uri: string;
  duration?: number;
}
export interface RecordingEvent extends EventTail { type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed'; timestamp: string; recording: AriLiveRecording }
export interface BridgeDestroyedEvent extends EventTail { type: 'BridgeDestroyed'; timestamp: string; bridge: AriBridge }
export interface ChannelCallerIdEvent extends EventTail { type: 'ChannelCallerId'; timestamp: string; caller_presentation: number; caller_presentation_txt: string; channel: AriChannel }
export interface ApplicationReplacedEvent extends EventTail { type: 'ApplicationReplaced'; timestamp: string }

export type AriEvent =
  | DialEvent
  | ChannelStateChangeEvent
  | ChannelVarsetEvent
  | StasisStartEvent
  | StasisEndEvent
  | ChannelDialplanEvent
  | ChannelHangupRequestEvent
  | ChannelDestroyedEvent
  | ChannelEnteredBridgeEvent
  | ChannelLeftBridgeEvent
  | ChannelConnectedLineEvent
  | ChannelCallerIdEvent
  | ChannelDtmfReceivedEvent
  | PlaybackEvent
  | RecordingEvent
  | BridgeDestroyedEvent
  | ApplicationReplacedEvent;

export const NO_CALLER: CallerId = Object.freeze({ name: '', number: '' });

/**
 * ast_callerid_parse() for the forms ARI clients send: `"Name" <+1555…>`, `Name <1555>`, a bare
 * number, or a bare name. Numbers lose the punctuation ast_shrink_phone_number() removes.
 */
export function parseCallerId(text: string): CallerId {
  const shrink = (n: string): string => n.replace(/[\s\-().]/g, '');
  const bracketed = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (bracketed) {
    return Object.freeze({ name: (bracketed[1] ?? bracketed[2] ?? '').trim(), number: shrink(bracketed[3] ?? '') });
  }
  const trimmed = text.trim();
  if (/^[+\d][\d\s\-().]*$/.test(trimmed)) return Object.freeze({ name: '', number: shrink(trimmed) });
  return Object.freeze({ name: trimmed.replace(/^"|"$/g, ''), number: '' });
}

/** How a leg got its far end: originated (AppDial2 until Stasis) or created and then dialled; a snoop has none (it spies on another channel). */
/** `inbound`: a provider's INVITE the dialplan put into Stasis (asterisk/extensions.conf), ringing, not answered. */
export type LegKind = 'originated' | 'created' | 'snoop' | 'inbound';

// Shared by every snapshot, so frozen: a consumer of events() cannot change a channel through them.
const ORIGINATED_DIALPLAN: DialplanCep = Object.freeze({ context: TRUNK_CONTEXT, exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' });
const CREATED_DIALPLAN: DialplanCep = Object.freeze({ context: TRUNK_CONTEXT, exten: 's', priority: 1, app_name: '', app_data: '' });
const SNOOP_DIALPLAN: DialplanCep = Object.freeze({ context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' });

export class SimChannel {
  state: ChannelState = 'Down';
  caller: CallerId = NO_CALLER;
  connected: CallerId = NO_CALLER;
  dialplan: DialplanCep;
  language = 'en';
  inStasis = false;
  /** Set once the far end was sent an INVITE (originate, or /dial ran). */
  dialling = false;
  answered = false;
  /** Moved between bridges by addChannel at least once: a far-end BYE then comes without a cause (as captured). */
  moved = false;
  /** The bridge it was last moved out of, which it keeps referenced (see SimBridge.heldBy). */
  heldBridge: SimBridge | undefined = undefined;
  /** In a bridge the app sees, or parked in Stasis' hidden dial bridge by /dial. */
  bridge: SimBridge | undefined;
  inDialBridge = false;
  activePlayback: SimPlayback | undefined;
  readonly playQueue: SimPlayback[] = [];
  readonly vars = new Map<string, string>();
  /** Timers owned by this leg (far end, timeouts): cancelled when it is destroyed. */
  readonly timers = new Set<NodeJS.Timeout>();
  /** Commands waiting for the Stasis loop to wake (see AriCore.queueCommand). */
  pending: Array<() => void> | undefined;
  wakeTimer: NodeJS.Timeout | undefined;
  /** Connected-line updates held back while a playback owns the channel's thread. */
  readonly deferred: Array<() => void> = [];
  originateTimer: NodeJS.Timeout | undefined;
  dialTimer: NodeJS.Timeout | undefined;
  gone = false;
  /** A snoop channel's spy and whisper directions, and the channel it snoops on. */
  snoop: { of: SimChannel; spy: string; whisper: string } | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly kind: LegKind,
    readonly endpoint: string,
    /** The endpoint without its technology: what Dial events call `dialstring`. */
    readonly dialstring: string,
    readonly app: string,
    readonly appArgs: string,
    /** The SIP Call-ID of this leg's dialog; peers see it as BRIDGEPVTCALLID. */
    readonly sipCallId: string | undefined,
    readonly creationtime: string,
    /** Whether snapshots carry `protocol_id` (Asterisk 22). */
    readonly withProtocolId = false,
  ) {
    this.dialplan = SimChannel.restingDialplan(kind);
  }

  /** Where the channel sits outside Stasis: an originated leg in AppDial2, a created one nowhere. */
  static restingDialplan(kind: LegKind): DialplanCep {
    if (kind === 'snoop') return SNOOP_DIALPLAN;
    return kind === 'originated' ? ORIGINATED_DIALPLAN : CREATED_DIALPLAN;
  }

  stasisAppData(): string {
    return this.appArgs === '' ? this.app : `${this.app},${this.appArgs}`;
  }

  /** Asterisk splits appArgs on commas; no args gives an empty list. */
  stasisArgs(): string[] {
    return this.appArgs === '' ? [] : this.appArgs.split(',');
  }

  toJson(): AriChannel {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      ...(this.withProtocolId ? { protocol_id: this.sipCallId ?? '' } : {}),
      caller: this.caller,
      connected: this.connected,
      accountcode: '',
      dialplan: this.dialplan,
      creationtime: this.creationtime,
      language: this.language,
    };
  }
}

/**
 * The channel Asterisk adds to a bridge to play its music on hold (`POST /bridges/{id}/moh`): a
 * party for the bridge's technology and its peers' BRIDGEPEER, never shown to the app (no event,
 * not in the bridge's `channels`).
 */
export class SimAnnouncer {
  readonly caller: CallerId = NO_CALLER;
  readonly answered = false;
  readonly sipCallId = undefined;

  constructor(readonly name: string) {}
}

export type BridgeParty = SimChannel | SimAnnouncer;

export class SimBridge {
  /** The app-visible channels, by id. */
  readonly channels = new Map<string, SimChannel>();
  /** Every party (channels and the music-on-hold announcer) in Asterisk's own order. */
  private parties: BridgeParty[] = [];
  /** Applications that see this bridge's events (those whose channels entered it). */
  readonly apps = new Set<string>();
  technology: string;
  /** The music on hold class playing to the bridge, if any, and the announcer playing it. */
  holdMusic: string | undefined;
  announcer: SimAnnouncer | undefined;
  /** Destroyed (gone from GET) while a channel moved out of it still held it: BridgeDestroyed waits for that channel. */
  destroyedPending = false;
  /** Channels moved out of this bridge by addChannel elsewhere, which keep it referenced until they end or move on. */
  readonly heldBy = new Set<SimChannel>();

  constructor(
    readonly id: string,
    readonly bridgeType: 'mixing' | 'holding',
    readonly name: string,
    readonly creationtime: string,
  ) {
    this.technology = bridgeType === 'holding' ? 'holding_bridge' : 'simple_bridge';
  }

  /** How many parties Asterisk counts in the bridge (the announcer too). */
  get size(): number {
    return this.parties.length;
  }

  /** The parties in Asterisk's order. */
  members(): BridgeParty[] {
    return [...this.parties];
  }

  /** Adds a party at the end of the list, or at its head. */
  add(party: BridgeParty, first: boolean): void {
    if (first) this.parties.unshift(party);
    else this.parties.push(party);
    if (party instanceof SimChannel) this.channels.set(party.id, party);
  }

  remove(party: BridgeParty): void {
    this.parties = this.parties.filter((p) => p !== party);
    if (party instanceof SimChannel) this.channels.delete(party.id);
  }

  /**
   * The smart bridge re-picks its technology as parties join and leave (not when one answers):
   * softmix beyond two, native_rtp for two that have both answered, simple_bridge otherwise.
   */
  retune(): void {
    if (this.bridgeType !== 'mixing') return;
    const members = this.members();
    if (members.length > 2) this.technology = 'softmix';
    // A snoop channel has no RTP of its own to pass natively (as captured: supervise).
    else if (members.length === 2 && members.every((m) => m.answered && !(m instanceof SimChannel && m.kind === 'snoop'))) this.technology = 'native_rtp';
    else this.technology = 'simple_bridge';
  }

  toJson(): AriBridge {
    return {
      id: this.id,
      technology: this.technology,
      bridge_type: this.bridgeType,
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: this.name,
      // The snapshot lists ids from a sorted container, not in the bridge's own order.
      channels: Array.from(this.channels.keys()).sort(),
      creationtime: this.creationtime,
      video_mode: this.bridgeType === 'mixing' ? 'talker' : 'none',
    };
  }
}

/**
 * A playback to a bridge (POST /bridges/{id}/play): Asterisk plays it through an announcer channel
 * of its own in the bridge, which leaves when the playback stops (captured: consult-hold-tone).
 */
export class SimBridgePlayback {
  state: PlaybackState = 'queued';
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly bridge: SimBridge,
    readonly media: string,
    readonly language: string,
    readonly announcer: SimAnnouncer,
  ) {}

  toJson(): AriPlayback {
    return { id: this.id, media_uri: this.media, target_uri: `bridge:${this.bridge.id}`, language: this.language, state: this.state };
  }
}

export class SimPlayback {
  state: PlaybackState = 'queued';
  index = 0;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly channel: SimChannel,
    readonly media: readonly string[],
    readonly language: string,
  ) {}

  get mediaUri(): string {
    return this.media[this.index] ?? '';
  }

  toJson(): AriPlayback {
    const json: AriPlayback = {
      id: this.id,
      media_uri: this.mediaUri,
      target_uri: `channel:${this.channel.id}`,
      language: this.language,
      state: this.state,
    };
    const next = this.media[this.index + 1];
    if (next !== undefined) json.next_media_uri = next;
    return json;
  }
}

export class SimApplication {
  readonly channelIds = new Set<string>();
  readonly bridgeIds = new Set<string>();
  /** Sockets currently subscribed; an app with none is registered but inactive. */
  sockets = 0;

  constructor(
    readonly name: string,
    /** Registered by the simulator's `apps` option: always active, socket or not. */
    readonly preregistered: boolean,
  ) {}

  get active(): boolean {
    return this.preregistered || this.sockets > 0;
  }

  toJson(): AriApplication {
    return {
      name: this.name,
      channel_ids: Array.from(this.channelIds),
      bridge_ids: Array.from(this.bridgeIds),
      endpoint_ids: [],
      device_names: [],
      events_allowed: [],
      events_disallowed: [],
    };
  }
}
