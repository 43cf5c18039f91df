/**
 * Replaying a capture of real Asterisk traffic (spec/fixtures/asterisk-<version>/, recorded by
 * `npm run capture:asterisk`) against the simulator playing that version, and comparing, channel by
 * channel, the events the simulator sends with the ones Asterisk sent.
 *
 * Replay: the capture's REST calls go out in order, as raw HTTP (protocol level, no client
 * library), each one only after the simulator has sent every event that the capture shows
 * before it — except the request's own effects (see ownEffect()). So timing comes from events,
 * not clocks; far ends ring 40 ms instead of the provider's 300 ms, `…0777` hangs up after 800 ms
 * instead of 2 s and `…0712` after 4.8 s instead of 12 s.
 * The only rewritten request is the 30 s dial timeout of agent-hangs-up-while-target-rings
 * (→ 2 s, still well after the agent's hang-up), to keep the file under 20 s; the 4 s timeouts
 * stay as captured. Scenarios run concurrently, each against its own simulator.
 * It lives beside its spec, not in spec/support: it uses jest's expect, and spec/support is built with the app.
 */
import http from 'node:http';

import { WebSocket } from 'ws';

import { toAriEvent } from '../../../ari/ari-events';
import { AriSimulator, type AsteriskVersion } from '../../support/ari-simulator';

const USER = 'callbot';
const PASS = 'capture-secret';
const APP = 'callbot';
const WAIT_MS = 12_000;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * What a replay compares: everything Asterisk sent and answered (`all`), or only what the app reads
 * of its events (`app-reads`: the product's own toAriEvent(), answers not compared), which shows
 * whether a difference between versions is one the app would see.
 */
export type Comparison = 'all' | 'app-reads';

export interface ReplayOptions {
  /** The version the simulator plays. */
  asterisk: AsteriskVersion;
  compare?: Comparison;
}

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}
export function obj(o: Json | undefined, key: string): JsonObject | undefined {
  const v = isObject(o) ? o[key] : undefined;
  return isObject(v) ? v : undefined;
}
export function text(o: Json | undefined, key: string): string {
  const v = isObject(o) ? o[key] : undefined;
  return typeof v === 'string' ? v : '';
}
function list(o: Json | undefined, key: string): JsonObject[] {
  const v = isObject(o) ? o[key] : undefined;
  return Array.isArray(v) ? v.filter(isObject) : [];
}

interface CapturedRest {
  t: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The JSON body the recorder sent, if any (`POST /channels/create` with `variables`). */
  sent?: Json;
  status: number;
  body: Json;
}

// ---- reading events ----------------------------------------------------------------------

/** The channel an event is about: `channel`, a Dial's `peer`, or a playback's target. */
function channelIdOf(e: JsonObject): string | undefined {
  const ch = obj(e, 'channel') ?? obj(e, 'peer');
  if (ch !== undefined) return text(ch, 'id');
  const target = text(obj(e, 'playback'), 'target_uri');
  return target.startsWith('channel:') ? target.slice('channel:'.length) : undefined;
}

/** Per-entity sequences: channels (with their playbacks), bridges for BridgeDestroyed and their playbacks. */
function groupOf(e: JsonObject): string {
  const channel = channelIdOf(e);
  if (channel !== undefined) return `channel:${channel}`;
  const target = text(obj(e, 'playback'), 'target_uri') || text(obj(e, 'recording'), 'target_uri');
  if (target !== '') return target;
  return `bridge:${text(obj(e, 'bridge'), 'id')}`;
}

/** What "the same event" means when waiting: type, entity and the field that tells repeats apart. */
function waitKey(e: JsonObject, compare: Comparison): string {
  const type = text(e, 'type');
  const entity = text(obj(e, 'playback'), 'id') || text(obj(e, 'recording'), 'name') || channelIdOf(e) || text(obj(e, 'bridge'), 'id');
  let detail = '';
  if (type === 'Dial') detail = text(e, 'dialstatus');
  else if (type === 'ChannelStateChange') detail = text(obj(e, 'channel'), 'state');
  else if (type === 'ChannelVarset') detail = `${text(e, 'variable')}=${text(e, 'variable') === 'STASISSTATUS' || text(e, 'value') === '' ? text(e, 'value') : '*'}`;
  // Comparing what the app reads, a cause that differs is for the comparison to report, not to wait for.
  else if ((type === 'ChannelHangupRequest' || type === 'ChannelDestroyed') && compare === 'all') detail = String(isObject(e) ? e['cause'] : '');
  else if (type.startsWith('Playback')) detail = text(obj(e, 'playback'), 'state');
  else if (type === 'ChannelEnteredBridge' || type === 'ChannelLeftBridge') detail = text(obj(e, 'bridge'), 'id');
  return `${type}|${entity}|${detail}`;
}

const PEER_EFFECTS = new Set(['BRIDGEPEER', 'BRIDGEPVTCALLID']);

/**
 * Could `e` have been caused by request `r`? Such events may appear in the capture before the
 * request's answer arrived, so they must not be waited for before sending it. Besides the
 * request's own objects, a request can make Asterisk refresh bridge-peer variables and connected
 * lines of other channels (and a stopped playback releases a held connected-line update), and a
 * hang-up sets RTP statistics on its bridge peer.
 */
function ownEffect(r: CapturedRest, e: JsonObject, previousAnswer: number): boolean {
  if (eventTime(e) < previousAnswer - 1) return false; // before the request could have left
  const type = text(e, 'type');
  // A hang-up also leaves its RTP statistics on its bridge peer (22: RTPAUDIOQOS…BRIDGED).
  if (type === 'ChannelConnectedLine' || (type === 'ChannelVarset' && (PEER_EFFECTS.has(text(e, 'variable')) || text(e, 'variable').startsWith('RTPAUDIOQOS')))) return true;
  const parts = r.path.split('/').filter((s) => s !== '');
  const channel = channelIdOf(e);
  const playback = text(obj(e, 'playback'), 'id');
  const bridge = text(obj(e, 'bridge'), 'id');
  if (parts[0] === 'channels') {
    // A hang-up lets go of the bridge the channel was moved out of: a destroyed one goes with it; and
    // the last channel to leave a recorded bridge ends its recording (22: before the hang-up's answer).
    if (r.method === 'DELETE' && (type === 'BridgeDestroyed' || type === 'RecordingFinished')) return true;
    // An originate (`POST /channels?channelId=…`) or a create names its channel in the query.
    if (parts[1] === undefined || parts[1] === 'create') return channel === r.query['channelId'];
    if (parts[2] === 'play') return playback === (parts[3] ?? r.query['playbackId']);
    // A snoop's channel enters the app (StasisStart) as the request is answered, in the same millisecond or before.
    if (parts[2] === 'snoop') return channel === r.query['snoopId'] || channel === parts[1];
    return channel === parts[1];
  }
  const recording = obj(e, 'recording');
  if (recording !== undefined) {
    // A bridge's recording, started by its record request, ended by its stop (or the bridge's end).
    if (parts[0] === 'bridges' && parts[2] === 'record') return text(recording, 'name') === r.query['name'];
    if (parts[0] === 'recordings') return text(recording, 'name') === parts[2];
    return r.method === 'DELETE' && (parts[0] === 'channels' || parts[0] === 'bridges');
  }
  if (parts[0] === 'bridges') return bridge === (parts[1] ?? r.query['bridgeId']) || (parts[2] === 'play' && playback === (parts[3] ?? r.query['playbackId'])) || (parts[2] === 'addChannel' && channel === r.query['channel'] && playback === '' && type !== 'StasisStart');
  if (parts[0] === 'playbacks') return playback === parts[1];
  return false;
}

function eventTime(e: JsonObject): number {
  return Date.parse(text(e, 'timestamp').replace('+0000', 'Z'));
}

// ---- comparing events --------------------------------------------------------------------

const CHANNEL_NAME = /^PJSIP\/trunk-main-[0-9a-f]{8}$/;
/** The channel a bridge's music on hold (ARI_MOH) or playback (ARI) plays through; its counter runs across an Asterisk's life. */
const ANNOUNCER = /^(Announcer|Recorder)\/ARI(_MOH)?-[0-9a-f]{8};2$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

/**
 * The comparable content of an event: its type and field set, the channel's state, caller,
 * connected line, dialplan location, language and name shape, and each type's own fields
 * (dialstatus/dialstring, cause/soft/cause_txt, args, variable/value, bridge, playback, digit).
 * Ids are the capture's; names and Call-IDs are normalised since they come from counters.
 */
function comparable(e: JsonObject, nameToId: ReadonlyMap<string, string>): JsonObject {
  const type = text(e, 'type');
  const out: JsonObject = {
    type,
    fields: Object.keys(e).sort().join(','),
    application: text(e, 'application'),
    asteriskId: text(e, 'asterisk_id') !== '',
    timestamp: TIMESTAMP.test(text(e, 'timestamp')),
  };
  const ch = obj(e, 'channel') ?? obj(e, 'peer');
  if (ch !== undefined) {
    out['channel'] = {
      fields: Object.keys(ch).sort().join(','),
      id: text(ch, 'id'),
      nameShape: CHANNEL_NAME.test(text(ch, 'name')),
      // Dial RINGING races ChannelStateChange Ringing, so its snapshot says Down or Ringing.
      state: type === 'Dial' && text(e, 'dialstatus') === 'RINGING' ? '(either)' : text(ch, 'state'),
      caller: obj(ch, 'caller') ?? null,
      connected: obj(ch, 'connected') ?? null,
      accountcode: text(ch, 'accountcode'),
      dialplan: obj(ch, 'dialplan') ?? null,
      language: text(ch, 'language'),
    };
  }
  const copy = (...keys: string[]): void => {
    for (const key of keys) out[key] = e[key] ?? null;
  };
  switch (type) {
    case 'Dial':
      copy('dialstatus', 'dialstring', 'forward');
      break;
    case 'ChannelHangupRequest':
      copy('cause', 'soft', 'tech_cause');
      break;
    case 'ChannelDestroyed':
      copy('cause', 'cause_txt', 'tech_cause');
      break;
    case 'StasisStart':
      copy('args');
      break;
    case 'ChannelDialplan':
      copy('dialplan_app', 'dialplan_app_data');
      break;
    case 'ChannelDtmfReceived':
      copy('digit');
      break;
    case 'ChannelVarset': {
      const variable = text(e, 'variable');
      const value = text(e, 'value');
      out['variable'] = variable;
      // RTP statistics (22) count packets of a call's media, which the simulator does not carry: compared as set or cleared.
      out['value'] = variable.startsWith('RTPAUDIOQOS') ? (value === '' ? '' : '(rtp statistics)') : variable === 'BRIDGEPEER' ? value.split(',').map((n) => nameToId.get(n) ?? (ANNOUNCER.test(n) ? '(announcer)' : n === '' ? '' : `?${n}`)).join(',') : variable === 'BRIDGEPVTCALLID' && value !== '' ? '(call-id)' : value;
      break;
    }
    default:
      break;
  }
  const bridge = obj(e, 'bridge');
  if (bridge !== undefined) {
    out['bridge'] = { fields: Object.keys(bridge).sort().join(','), ...pick(bridge, 'id', 'technology', 'bridge_type', 'bridge_class', 'creator', 'name', 'channels', 'video_mode') };
    // Asterisk hides its own recorder or announcer in a bridge only while that channel's snapshot is
    // cached (res_stasis.c channel_id_sanitizer), so one leaving with the bridge's last party may be
    // listed (20.20.1's consent-announcement, not 22's: a race): only channels the events show count.
    const known = new Set(nameToId.values());
    const channels = bridge['channels'];
    if (Array.isArray(channels)) out['bridge']['channels'] = channels.filter((id) => typeof id === 'string' && known.has(id));
  }
  const playback = obj(e, 'playback');
  if (playback !== undefined) {
    out['playback'] = { fields: Object.keys(playback).sort().join(','), ...pick(playback, 'id', 'media_uri', 'target_uri', 'language', 'state') };
  }
  const recording = obj(e, 'recording');
  if (recording !== undefined) {
    // `duration` is whole seconds of the call's own length: its presence is compared, not its value.
    out['recording'] = { fields: Object.keys(recording).sort().join(','), ...pick(recording, 'name', 'format', 'target_uri', 'state') };
  }
  return out;
}

function pick(o: JsonObject, ...keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) out[key] = o[key] ?? null;
  return out;
}

const isPeerVarset = (e: JsonObject | undefined): boolean => e !== undefined && text(e, 'type') === 'ChannelVarset' && PEER_EFFECTS.has(text(e, 'variable'));

/**
 * The reorderings Asterisk itself varies on: Dial RINGING vs ChannelStateChange Ringing; a dial's
 * first Dial event against the bridge's peer-variable refresh that the dial causes (18.9 sends the
 * Dial first; 22 mostly the refresh first, but Dial first in agent-hangs-up-while-target-rings): it
 * is put after the refreshes that directly follow it; and a ChannelConnectedLine (run by the
 * channel's own thread) against the refreshes around it: it is put after the refreshes that
 * directly follow it, and their channel snapshots keep the connected line from before it.
 */
function canonical(seq: JsonObject[]): JsonObject[] {
  const out = seq.slice();
  for (let i = 0; i + 1 < out.length; i += 1) {
    const a = out[i];
    const b = out[i + 1];
    if (a !== undefined && b !== undefined && text(a, 'type') === 'Dial' && text(a, 'dialstatus') === 'RINGING' && text(b, 'type') === 'ChannelStateChange' && text(obj(b, 'channel'), 'state') === 'Ringing') {
      out[i] = b;
      out[i + 1] = a;
    }
  }
  for (let i = out.length - 2; i >= 0; i -= 1) {
    const dial = out[i];
    if (dial === undefined || text(dial, 'type') !== 'Dial' || text(dial, 'dialstatus') !== '') continue;
    let j = i;
    while (isPeerVarset(out[j + 1])) {
      out[j] = out[j + 1]!;
      j += 1;
    }
    out[j] = dial;
  }
  for (let i = out.length - 2; i >= 0; i -= 1) {
    const line = out[i];
    if (line === undefined || text(line, 'type') !== 'ChannelConnectedLine') continue;
    const before = obj(obj(out[i - 1], 'channel'), 'connected') ?? null;
    let j = i;
    while (isPeerVarset(out[j + 1])) {
      const moved = out[j + 1]!;
      const channel = obj(moved, 'channel');
      out[j] = channel === undefined ? moved : { ...moved, channel: { ...channel, connected: before } };
      j += 1;
    }
    out[j] = line;
  }
  return out;
}

function namesOf(events: readonly JsonObject[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of events) {
    const ch = obj(e, 'channel') ?? obj(e, 'peer');
    if (ch !== undefined) names.set(text(ch, 'name'), text(ch, 'id'));
  }
  return names;
}

function sequences(events: readonly JsonObject[], compare: Comparison): Map<string, Json[]> {
  const names = namesOf(events);
  const groups = new Map<string, JsonObject[]>();
  for (const e of events) {
    const key = groupOf(e);
    const group = groups.get(key) ?? [];
    group.push(compare === 'all' ? comparable(e, names) : e);
    groups.set(key, group);
  }
  const views = new Map<string, Json[]>();
  for (const [key, seq] of groups) {
    const ordered = canonical(seq);
    const view = compare === 'all' ? ordered : ordered.flatMap((e) => appView(e));
    // Comparing what the app reads, a bridge or playback it reads nothing of is no sequence at all.
    if (view.length > 0 || compare === 'all') views.set(key, view);
  }
  return views;
}

/** What the app reads of an event, through the product's own reader; nothing for what it does not read. */
function appView(e: JsonObject): Json[] {
  const read = toAriEvent(e);
  return read === undefined ? [] : [JSON.parse(JSON.stringify(read)) as Json];
}

function expectSameSequences(simulated: readonly JsonObject[], captured: readonly JsonObject[], compare: Comparison): void {
  const sim = sequences(simulated, compare);
  const real = sequences(captured, compare);
  expect([...sim.keys()].sort()).toEqual([...real.keys()].sort());
  for (const [group, seq] of real) expect({ group, events: sim.get(group) }).toEqual({ group, events: seq });
}

// ---- the app side: a raw events socket and raw REST ----------------------------------------

class EventSocket {
  readonly received: JsonObject[] = [];
  private readonly counts = new Map<string, number>();
  private readonly checks = new Set<() => void>();
  private closed = false;

  private constructor(private readonly ws: WebSocket, private readonly compare: Comparison) {
    ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString('utf8')) as Json;
      if (!isObject(parsed)) return;
      this.received.push(parsed);
      const key = waitKey(parsed, this.compare);
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      for (const check of this.checks) check();
    });
    ws.on('close', () => {
      this.closed = true;
      for (const check of this.checks) check();
    });
  }

  static open(port: number, compare: Comparison): Promise<EventSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ari/events?app=${APP}&api_key=${USER}:${PASS}`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new EventSocket(ws, compare)));
      ws.once('error', (err) => reject(new Error('events socket did not open', { cause: err })));
    });
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Resolves once `done()` holds, re-checked on every message; rejects with `missing()` on timeout. */
  until(done: () => boolean, missing: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`timed out after ${WAIT_MS} ms; still missing: ${missing()}`));
      }, WAIT_MS);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve();
      };
      this.checks.add(check);
    });
  }

  /** Waits until, for every event listed, as many like it have arrived as up to its place in `all`. */
  awaitEvents(wanted: readonly JsonObject[], all: readonly JsonObject[]): Promise<void> {
    const needed = new Map<string, number>();
    const seen = new Map<string, number>();
    const wantedSet = new Set(wanted);
    for (const e of all) {
      const key = waitKey(e, this.compare);
      const ordinal = (seen.get(key) ?? 0) + 1;
      seen.set(key, ordinal);
      if (wantedSet.has(e)) needed.set(key, Math.max(needed.get(key) ?? 0, ordinal));
    }
    const missing = (): string[] => [...needed].filter(([key, n]) => this.count(key) < n).map(([key, n]) => `${key} ×${n - this.count(key)}`);
    return this.until(() => missing().length === 0, () => missing().join('; '));
  }

  whenClosed(): Promise<void> {
    return this.until(() => this.closed, () => 'socket close');
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A stored recording's file is binary: compared by its status, content type and first bytes, as the recorder kept it. */
function fileBody(contentType: string, raw: Buffer): Json {
  if (contentType.startsWith('application/json') && raw.length > 0) return JSON.parse(raw.toString('utf8')) as Json;
  return { contentType, signature: raw.subarray(0, 4).toString('latin1') };
}

function rest(port: number, method: string, urlPath: string, query: Record<string, string> = {}, sent?: Json): Promise<{ status: number; body: Json }> {
  const qs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1', port, method, path: `/ari${urlPath}${qs ? `?${qs}` : ''}`, agent: false,
        headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`, ...(sent !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          if (urlPath.endsWith('/file')) {
            resolve({ status: res.statusCode ?? 0, body: fileBody(String(res.headers['content-type'] ?? ''), bytes) });
            return;
          }
          const raw = bytes.toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: raw === '' ? null : (JSON.parse(raw) as Json) });
        });
      },
    );
    req.on('error', (err) => reject(new Error(`${method} ${urlPath} failed`, { cause: err })));
    req.end(sent !== undefined ? JSON.stringify(sent) : undefined);
  });
}

async function startSimulator(asterisk: AsteriskVersion): Promise<AriSimulator> {
  // Early media lasts long enough that the app's stop of its ringback, sent on the Dial PROGRESS
  // event, comes before the far end answers or fails, as in the captures, on a loaded machine too.
  return AriSimulator.start({ username: USER, password: PASS, asterisk, ringMs: 40, hangupAfterMs: 800, stasisLoopMs: 200, earlyMediaMs: 300 });
}

/** The simulator is idle (nothing left to send) and the socket has all it sent since `sentBefore`. */
async function settled(sim: AriSimulator, socket: EventSocket, sentBefore = 0): Promise<void> {
  expect(sim.channels()).toEqual([]);
  expect(sim.bridges()).toEqual([]);
  const owed = (): number => sim.events().length - sentBefore - socket.received.length;
  await socket.until(() => owed() <= 0, () => `${owed()} sent events`);
  expect(owed()).toBe(0);
}

// ---- response bodies ---------------------------------------------------------------------

function comparableBody(body: Json): Json {
  if (!isObject(body)) return body;
  if ('message' in body) return body;
  // A stored recording's file (the recorder kept its type, size and signature; the size is the call's own).
  if ('signature' in body) return pick(body, 'contentType', 'signature');
  if ('format' in body && 'target_uri' in body) return { fields: Object.keys(body).sort().join(','), ...pick(body, 'name', 'format', 'target_uri', 'state') };
  const fields = Object.keys(body).sort().join(',');
  if ('bridge_type' in body) return { fields, ...pick(body, 'id', 'technology', 'bridge_type', 'bridge_class', 'creator', 'name', 'channels', 'video_mode') };
  if ('media_uri' in body) {
    // The answer races PlaybackStarted: the captures show both `queued` and `playing`.
    const state = text(body, 'state');
    return { fields, ...pick(body, 'id', 'media_uri', 'target_uri', 'language'), state: state === 'playing' ? 'queued' : state };
  }
  const channel: JsonObject = { fields, ...pick(body, 'id', 'state', 'caller', 'connected', 'accountcode', 'dialplan', 'language'), nameShape: CHANNEL_NAME.test(text(body, 'name')) };
  // A snoop's channel enters Stasis on its own thread while the answer is made: the answer shows it
  // before or in Stasis, on 18.9 and 22 alike (supervise.json of each shows both).
  if (text(body, 'name').startsWith('Snoop/') && text(obj(body, 'dialplan'), 'app_name') === 'Stasis') {
    channel['dialplan'] = { ...obj(body, 'dialplan'), app_name: '', app_data: '' };
  }
  return channel;
}

// ---- scenarios ---------------------------------------------------------------------------

function readRest(capture: JsonObject): CapturedRest[] {
  return list(capture, 'rest').map((r) => {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(r, 'query') ?? {})) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return {
      t: Date.parse(text(r, 't')), method: text(r, 'method'), path: text(r, 'path'), query,
      ...(isObject(r) && r['sent'] !== undefined ? { sent: r['sent'] } : {}), status: Number(r['status']), body: r['body'] ?? null,
    };
  });
}

/** The only timing rewrite (see the header): a dial timeout longer than 10 s becomes 2 s. */
function rewrite(r: CapturedRest): Record<string, string> {
  const timeout = Number(r.query['timeout']);
  return r.path.endsWith('/dial') && timeout > 10 ? { ...r.query, timeout: '2' } : r.query;
}

/**
 * The captures with a bridge recording: Asterisk's recorder channel makes the bridge refresh its
 * peers' BRIDGEPEER/BRIDGEPVTCALLID a varying number of times as it joins and leaves (with the
 * smart bridge's re-tuning, whose timing the simulator does not model), so those two variables
 * are left out of their comparison; every other event, and every answer, is compared.
 */
const PEER_VARS_NOT_COMPARED: ReadonlySet<string> = new Set(['recording', 'consent-announcement']);

/**
 * An inbound capture's customer (`inbound`: the channel Asterisk named): they call in first, and
 * hang up on their own when the app never hung their channel up, at the moment their
 * ChannelHangupRequest shows, once every event before it has arrived.
 */
interface InboundCustomer {
  channel: string;
  calledNumber: string;
  callerNumber: string;
  hangsUpAt?: JsonObject;
}

function inboundOf(capture: JsonObject, events: readonly JsonObject[], calls: readonly CapturedRest[]): InboundCustomer | undefined {
  const inbound = obj(capture, 'inbound');
  if (inbound === undefined) return undefined;
  const channel = text(inbound, 'channel');
  const start = events.find((e) => text(e, 'type') === 'StasisStart' && channelIdOf(e) === channel);
  const hungUpByApp = calls.some((c) => c.method === 'DELETE' && c.path === `/channels/${channel}`);
  // The hang-up starts with its RTP statistics where the version publishes them (22), else with its ChannelHangupRequest.
  const hangsUpAt = hungUpByApp ? undefined : events.find((e) => channelIdOf(e) === channel && (text(e, 'type') === 'ChannelHangupRequest' || text(e, 'variable') === 'RTPAUDIOQOS'));
  return { channel, calledNumber: text(inbound, 'calledNumber'), callerNumber: text(obj(obj(start, 'channel'), 'caller'), 'number'), ...(hangsUpAt !== undefined ? { hangsUpAt } : {}) };
}

async function replayRestCapture(capture: JsonObject, { asterisk, compare = 'all' }: ReplayOptions): Promise<void> {
  const peersCompared = !PEER_VARS_NOT_COMPARED.has(text(capture, 'scenario'));
  // Comparing what the app reads, only those events pace the replay: the others may differ freely.
  const events = list(capture, 'events').filter((e) => (peersCompared || !isPeerVarset(e)) && (compare === 'all' || toAriEvent(e) !== undefined));
  const calls = readRest(capture);
  const customer = inboundOf(capture, events, calls);
  const sim = await startSimulator(asterisk);
  const socket = await EventSocket.open(sim.port, compare);
  try {
    let customerHungUp = false;
    const customerHangsUpBefore = async (t: number): Promise<void> => {
      if (customer?.hangsUpAt === undefined || customerHungUp || eventTime(customer.hangsUpAt) >= t) return;
      const at = eventTime(customer.hangsUpAt);
      await socket.awaitEvents(events.filter((e) => eventTime(e) < at), events);
      sim.farEndHangup(customer.channel);
      customerHungUp = true;
    };
    if (customer !== undefined) {
      sim.callIn({ channelId: customer.channel, endpoint: 'PJSIP/trunk-main', app: APP, calledNumber: customer.calledNumber, callerNumber: customer.callerNumber });
    }
    let previousAnswer = -Infinity;
    for (const call of calls) {
      await customerHangsUpBefore(call.t);
      // Strictly earlier: an event stamped in the answer's own millisecond may have come after it.
      const before = events.filter((e) => eventTime(e) < call.t && !ownEffect(call, e, previousAnswer));
      await socket.awaitEvents(before, events);
      const answer = await rest(sim.port, call.method, call.path, rewrite(call), call.sent);
      if (compare === 'all') expect({ call: `${call.method} ${call.path}`, status: answer.status, body: comparableBody(answer.body) }).toEqual({
        call: `${call.method} ${call.path}`,
        status: call.status,
        body: comparableBody(call.body),
      });
      previousAnswer = call.t;
    }
    await customerHangsUpBefore(Infinity);
    await socket.awaitEvents(events, events);
    await settled(sim, socket);
    expectSameSequences(socket.received.filter((e) => peersCompared || !isPeerVarset(e)), events, compare);
  } finally {
    socket.close();
    await sim.stop();
  }
}

/**
 * ws-drop has no REST list: the call is rebuilt from its events (agent originate without Caller
 * ID, bridge, both legs added, target created and dialled), then the socket is cut once the
 * capture's pre-drop events have all arrived, the state is read while disconnected, a new socket
 * connects, and the app hangs up agent, target and bridge as the post-reconnect events show.
 */
async function replayWsDrop(capture: JsonObject, { asterisk, compare = 'all' }: ReplayOptions): Promise<void> {
  const before = list(capture, 'eventsBeforeDrop');
  const after = list(capture, 'eventsAfterReconnect');
  const firstOf = (type: string, pred: (e: JsonObject) => boolean = () => true): JsonObject => {
    const found = before.find((e) => text(e, 'type') === type && pred(e));
    if (found === undefined) throw new Error(`ws-drop capture has no ${type}`);
    return found;
  };
  const agentDial = firstOf('Dial');
  const agent = text(obj(agentDial, 'peer'), 'id');
  const argsOf = (id: string): string => {
    const start = firstOf('StasisStart', (e) => text(obj(e, 'channel'), 'id') === id);
    const args = start['args'];
    return Array.isArray(args) ? args.map(String).join(',') : '';
  };
  const target = text(obj(firstOf('StasisStart', (e) => text(obj(e, 'channel'), 'id') !== agent), 'channel'), 'id');
  const targetDial = firstOf('Dial', (e) => text(obj(e, 'peer'), 'id') === target && text(e, 'dialstatus') === '');
  const bridge = obj(firstOf('ChannelEnteredBridge'), 'bridge');
  const bridgeId = text(bridge, 'id');

  const sim = await startSimulator(asterisk);
  let socket = await EventSocket.open(sim.port, compare);
  try {
    const call = (method: string, urlPath: string, query: Record<string, string> = {}): Promise<{ status: number; body: Json }> => rest(sim.port, method, urlPath, query);
    expect((await call('POST', `/channels/${agent}`, { endpoint: `PJSIP/${text(agentDial, 'dialstring')}`, app: APP, appArgs: argsOf(agent), timeout: '20' })).status).toBe(200);
    await socket.awaitEvents([firstOf('StasisStart', (e) => text(obj(e, 'channel'), 'id') === agent)], before);
    expect((await call('POST', `/bridges/${bridgeId}`, { type: 'mixing', name: text(bridge, 'name') })).status).toBe(200);
    expect((await call('POST', `/bridges/${bridgeId}/addChannel`, { channel: agent })).status).toBe(204);
    expect((await call('POST', '/channels/create', { endpoint: `PJSIP/${text(targetDial, 'dialstring')}`, app: APP, appArgs: argsOf(target), channelId: target, originator: agent })).status).toBe(200);
    expect((await call('POST', `/bridges/${bridgeId}/addChannel`, { channel: target })).status).toBe(204);
    expect((await call('POST', `/channels/${target}/dial`, { caller: agent, timeout: '20' })).status).toBe(204);
    await socket.awaitEvents(before, before);
    expectSameSequences(socket.received, before, compare);

    // The drop: Asterisk keeps the call, the bridge and the app's hold on them.
    sim.dropWebSockets();
    await socket.whenClosed();
    const whileDown = obj(capture, 'stateWhileDisconnected');
    const channelsNow = await call('GET', '/channels');
    const pickIdState = (items: readonly JsonObject[]): JsonObject[] => items.map((c) => pick(c, 'id', 'state')).sort((a, b) => text(a, 'id').localeCompare(text(b, 'id')));
    expect(pickIdState(Array.isArray(channelsNow.body) ? channelsNow.body.filter(isObject) : [])).toEqual(pickIdState(list(whileDown, 'channels')));
    const bridgeNow = await call('GET', `/bridges/${bridgeId}`);
    expect([pick(isObject(bridgeNow.body) ? bridgeNow.body : {}, 'id', 'channels')]).toEqual(list(whileDown, 'bridges').map((b) => pick(b, 'id', 'channels')));
    const appsNow = await call('GET', '/applications');
    expect(Array.isArray(appsNow.body) ? appsNow.body : []).toEqual(list(whileDown, 'apps'));

    socket = await EventSocket.open(sim.port, compare);
    const sentBeforeReconnect = sim.events().length;
    const agentAfter = after.filter((e) => channelIdOf(e) === agent);
    expect((await call('DELETE', `/channels/${agent}`)).status).toBe(204);
    await socket.awaitEvents(agentAfter, after);
    const afterHangup = obj(capture, 'stateAfterAgentHangup');
    const remaining = await call('GET', '/channels');
    expect(pickIdState(Array.isArray(remaining.body) ? remaining.body.filter(isObject) : [])).toEqual(pickIdState(list(afterHangup, 'channels')));
    const bridgeLater = await call('GET', `/bridges/${bridgeId}`);
    expect([pick(isObject(bridgeLater.body) ? bridgeLater.body : {}, 'id', 'channels')]).toEqual(list(afterHangup, 'bridges').map((b) => pick(b, 'id', 'channels')));
    expect((await call('DELETE', `/channels/${target}`)).status).toBe(204);
    expect((await call('DELETE', `/bridges/${bridgeId}`)).status).toBe(204);
    await socket.awaitEvents(after, after);
    await settled(sim, socket, sentBeforeReconnect);
    expectSameSequences(socket.received, after, compare);
  } finally {
    socket.close();
    await sim.stop();
  }
}

/** Replays one capture (a rest/events capture, or ws-drop's) against a simulator of the given version; fails as a jest expectation does. */
export async function replayCapture(file: string, capture: Json, options: ReplayOptions): Promise<void> {
  if (!isObject(capture)) throw new Error(`${file} is not a JSON object`);
  if (Array.isArray(capture['rest']) && Array.isArray(capture['events'])) await replayRestCapture(capture, options);
  else if (Array.isArray(capture['eventsBeforeDrop']) && Array.isArray(capture['eventsAfterReconnect'])) await replayWsDrop(capture, options);
  else throw new Error(`${file}: neither a rest/events capture nor a ws-drop capture (keys: ${Object.keys(capture).join(', ')})`);
}
