/**
 * `npm run capture:asterisk`: records what a real Asterisk sends an ARI app in the call scenarios
 * the simulator specs replay, and writes one fixture per scenario to
 * spec/fixtures/asterisk-<version>/<scenario>.json. Run only through scripts/e2e/capture-asterisk.sh,
 * which puts it in the e2e suite's loopback-only namespace; it uses the suite's lab (the callbot
 * bundle, sipp providers running spec/e2e/sipp/provider-uas.xml).
 *
 * Each fixture keeps the REST calls made (`rest`: answer time, method, path, query, status, body)
 * and every event the app's WebSocket received, unmodified and in arrival order, under a header
 * (`recorded`) saying which build recorded it. Usage: `… capture-asterisk.sh [scenario …]`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { WebSocket } from 'ws';

import { snoopChannelId, supervisionAppArgs, supervisionIds } from '../../../call/supervision';
import { AsteriskLab } from '../support/lab';
import { type SipMessage, header as sipHeader, invitesIn, uriUser } from '../support/sip-trace';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const REPO = path.resolve(__dirname, '..', '..', '..');
const APP = 'callbot';
const CALLER_ID = '"Callbot" <+15550001111>';
/** Longer than any wait a scenario has (agent-hangs-up-while-target-rings waits 30 s for its dial timeout). */
const EVENT_WAIT_MS = 40_000;
/** Events still trickle in after the last request answers; a scenario ends after this much silence. */
const QUIET_MS = 600;

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}
function text(o: Json | undefined, key: string): string {
  const v = isObject(o) ? o[key] : undefined;
  return typeof v === 'string' ? v : '';
}
function obj(o: Json | undefined, key: string): JsonObject | undefined {
  const v = isObject(o) ? o[key] : undefined;
  return isObject(v) ? v : undefined;
}
/** The channel an event is about: `channel`, or a Dial's `peer`. */
function channelOf(e: JsonObject): string {
  return text(obj(e, 'channel') ?? obj(e, 'peer'), 'id');
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RestRecord {
  t: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The JSON body sent, when the request had one (`POST /channels/create` with `variables`). */
  sent?: Json;
  status: number;
  body: Json;
}

/** The app's side of one scenario: an events socket and raw REST, both recorded. */
class AppConnection {
  readonly rest: RestRecord[] = [];
  events: JsonObject[] = [];
  private lastEventAt = Date.now();
  private ws?: WebSocket;

  constructor(private readonly lab: AsteriskLab) {}

  async open(): Promise<void> {
    const { username, password } = this.lab.ari;
    const ws = new WebSocket(`${this.lab.ariUrl.replace(/^http/, 'ws')}/ari/events?app=${APP}&api_key=${encodeURIComponent(`${username}:${password}`)}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) => reject(new Error('the ARI events socket did not open', { cause: err })));
    });
    ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString('utf8')) as Json;
      if (isObject(parsed)) this.events.push(parsed);
      this.lastEventAt = Date.now();
    });
    this.ws = ws;
  }

  /** Closes the socket and waits until it is closed; the events received so far stay. */
  async close(): Promise<void> {
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close();
    await closed;
  }

  /** One REST request; `t` is when its answer was complete, the moment the replay orders by. */
  call(method: string, urlPath: string, query: Record<string, string> = {}, sent?: Json): Promise<{ status: number; body: Json }> {
    const qs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const { username, password } = this.lab.ari;
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.lab.ariUrl}/ari${urlPath}${qs ? `?${qs}` : ''}`, {
        method,
        agent: false,
        headers: {
          authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
          ...(sent !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const t = new Date().toISOString();
          const raw = Buffer.concat(chunks).toString('utf8');
          const body = raw === '' ? null : (JSON.parse(raw) as Json);
          const status = res.statusCode ?? 0;
          this.rest.push({ t, method, path: urlPath, query, ...(sent !== undefined ? { sent } : {}), status, body });
          resolve({ status, body });
        });
      });
      req.on('error', (err) => reject(new Error(`${method} ${urlPath} failed`, { cause: err })));
      req.end(sent !== undefined ? JSON.stringify(sent) : undefined);
    });
  }

  /**
   * A request whose answer may be binary (a stored recording's file): recorded with its content type,
   * its size and its first bytes' signature instead of the body itself.
   */
  file(method: string, urlPath: string): Promise<{ status: number; bytes: Buffer }> {
    const { username, password } = this.lab.ari;
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.lab.ariUrl}/ari${urlPath}`, {
        method, agent: false, headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const t = new Date().toISOString();
          const bytes = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          const contentType = String(res.headers['content-type'] ?? '');
          const body: Json = contentType.startsWith('application/json') && bytes.length > 0
            ? (JSON.parse(bytes.toString('utf8')) as Json)
            : { contentType, bytes: bytes.length, signature: bytes.subarray(0, 4).toString('latin1') };
          this.rest.push({ t, method, path: urlPath, query: {}, status, body });
          resolve({ status, bytes });
        });
      });
      req.on('error', (err) => reject(new Error(`${method} ${urlPath} failed`, { cause: err })));
      req.end();
    });
  }

  /** Like call(), but the status must be one of `ok`. */
  async expect(ok: number[], method: string, urlPath: string, query: Record<string, string> = {}, sent?: Json): Promise<Json> {
    const { status, body } = await this.call(method, urlPath, query, sent);
    if (!ok.includes(status)) throw new Error(`${method} ${urlPath} answered ${status} (expected ${ok.join(' or ')}): ${JSON.stringify(body)}`);
    return body;
  }

  /** Waits until an event for which `match` holds has arrived (checking those already in). */
  async event(what: string, match: (e: JsonObject) => boolean, timeoutMs = EVENT_WAIT_MS): Promise<JsonObject> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.events.map((e) => `${text(e, 'type')}(${channelOf(e)})`).join(' ')}`);
      await sleep(5);
    }
  }

  /** Waits until no event has come for QUIET_MS. */
  async quiet(): Promise<void> {
    while (Date.now() - this.lastEventAt < QUIET_MS) await sleep(50);
  }
}

const is = (type: string, channel: string) => (e: JsonObject): boolean => text(e, 'type') === type && channelOf(e) === channel;
const recordingEvent = (type: string, name: string) => (e: JsonObject): boolean => text(e, 'type') === type && text(obj(e, 'recording'), 'name') === name;
const playbackEvent = (type: string, id: string) => (e: JsonObject): boolean => text(e, 'type') === type && text(obj(e, 'playback'), 'id') === id;
const answered = (channel: string) => (e: JsonObject): boolean =>
  channelOf(e) === channel && ((text(e, 'type') === 'Dial' && text(e, 'dialstatus') === 'ANSWER') || (text(e, 'type') === 'ChannelStateChange' && text(obj(e, 'channel'), 'state') === 'Up'));

/** The ids of one call, named after its scenario, as the specs expect them. */
class Call {
  readonly agent: string;
  readonly target: string;
  readonly bridge: string;
  readonly ringback: string;

  /**
   * The multi-party scenarios' added leg and bridge, named as the product names them
   * (call/call-ids.ts): `<call>-p3`, its ringback `<call>-p3-ringback`, the consultation's bridge
   * `<call>-consult`.
   */
  readonly p3: string;
  readonly p3Ringback: string;
  readonly consultBridge: string;
  /** The hold tone's bridge playback while the agent consults (HOLD_SOUND=tone): `<call>-hold`. */
  readonly holdPlayback: string;
  /** The bridge recording (`<call>-rec`) and the consent announcement's playback (`<call>-consent`), as call/call-ids.ts names them. */
  readonly recording: string;
  readonly announcement: string;
  /** An inbound scenario's customer channel, named by Asterisk (set once its StasisStart came). */
  inboundChannel?: string;

  constructor(readonly app: AppConnection, readonly name: string) {
    this.agent = `${name}-agent`;
    this.target = `${name}-target`;
    this.bridge = `${name}-bridge`;
    this.ringback = `${name}-ringback`;
    this.p3 = `${name}-p3`;
    this.p3Ringback = `${name}-p3-ringback`;
    this.consultBridge = `${name}-consult`;
    this.holdPlayback = `${name}-hold`;
    this.recording = `${name}-rec`;
    this.announcement = `${name}-consent`;
  }

  /** The product's bridge recording (AriAdapter.recordBridge): name and format, nothing else; resolves on its RecordingStarted. */
  async record(): Promise<void> {
    await this.app.expect([201], 'POST', `/bridges/${this.bridge}/record`, { name: this.recording, format: 'wav' });
    await this.app.event(`RecordingStarted of ${this.recording}`, recordingEvent('RecordingStarted', this.recording));
  }

  /** Originates the agent leg into the app as AriAdapter.originate does (`POST /channels?channelId=…`); resolves on its StasisStart, or false if it ended first. */
  async originateAgent(number: string, timeoutS: number, withCallerId = true): Promise<boolean> {
    await this.app.expect([200], 'POST', '/channels', {
      channelId: this.agent, endpoint: `PJSIP/${number}@trunk-main`, app: APP, appArgs: `agent,${this.name}`,
      timeout: String(timeoutS),
      ...(withCallerId ? { callerId: CALLER_ID } : {}),
    });
    const first = await this.app.event(`StasisStart or ChannelDestroyed of ${this.agent}`, (e) => is('StasisStart', this.agent)(e) || is('ChannelDestroyed', this.agent)(e));
    return text(first, 'type') === 'StasisStart';
  }

  /** The product's bridge (AriAdapter.createBridge): `POST /bridges?bridgeId=…`, mixing, named after the call. */
  async createBridge(): Promise<void> {
    await this.app.expect([200], 'POST', '/bridges', { bridgeId: this.bridge, type: 'mixing', name: this.name });
  }

  /** The agent into a mixing bridge (with ringback), the target created, added and dialled: the product's requests (engine/call-runner.ts through ari/ari-adapter.ts). */
  async dialTarget(number: string, dialTimeoutS: number, { ringback = true } = {}): Promise<void> {
    await this.createBridge();
    await this.app.expect([204], 'POST', `/bridges/${this.bridge}/addChannel`, { channel: this.agent });
    if (ringback) await this.app.expect([201], 'POST', `/channels/${this.agent}/play`, { media: 'tone:ring', playbackId: this.ringback });
    await this.app.expect([200], 'POST', '/channels/create', {
      channelId: this.target, endpoint: `PJSIP/${number}@trunk-main`, app: APP, appArgs: `target,${this.name}`,
    });
    // addChannel answers 422 until the created channel's thread has entered Stasis.
    await this.app.event(`StasisStart of ${this.target}`, is('StasisStart', this.target));
    await this.app.expect([204], 'POST', `/bridges/${this.bridge}/addChannel`, { channel: this.target });
    await this.app.expect([204], 'POST', `/channels/${this.target}/dial`, { caller: this.agent, timeout: String(dialTimeoutS) });
  }

  /** The happy pattern up to a connected call: agent answers, target dialled and answers, ringback stopped. */
  async connect(agent: string, target: string): Promise<void> {
    if (!(await this.originateAgent(agent, 20))) throw new Error('the agent leg did not answer');
    await this.dialTarget(target, 20);
    await this.app.event('the target answering', answered(this.target));
    await this.app.expect([204], 'DELETE', `/playbacks/${this.ringback}`);
  }

  /**
   * An added party as the product asks for it (call/parties.ts, ari/ari-adapter.ts): p3 created
   * with its caller ID as the variable `CALLERID(num)` (JSON body; no originator), ringback played
   * to `ringbackTo` (`playbackId` in the query, `tone:ring`), and on p3's StasisStart p3 added to
   * `bridge` and dialed with the agent as caller.
   */
  async addParty(number: string, ringbackTo: string, bridge: string, dialTimeoutS = 20): Promise<void> {
    await this.askForParty(number, ringbackTo);
    await this.joinAndDial(bridge, dialTimeoutS, true);
  }

  /** p3 created (with its caller ID variable) and ringback started: what the product asks for at once. */
  async askForParty(number: string, ringbackTo: string): Promise<void> {
    await this.app.expect([200], 'POST', '/channels/create', {
      channelId: this.p3, endpoint: `PJSIP/${number}@trunk-main`, app: APP, appArgs: `p3,${this.name}`,
    }, { variables: { 'CALLERID(num)': PARTY_CALLER_NUMBER } });
    await this.app.expect([201], 'POST', `/channels/${ringbackTo}/play`, { media: 'tone:ring', playbackId: this.p3Ringback });
  }

  /** On p3's StasisStart: into `bridge`, dialed with the agent as caller, or with none when the agent's leg is gone. */
  async joinAndDial(bridge: string, dialTimeoutS: number, withCaller: boolean): Promise<void> {
    await this.app.event(`StasisStart of ${this.p3}`, is('StasisStart', this.p3));
    await this.app.expect([204], 'POST', `/bridges/${bridge}/addChannel`, { channel: this.p3 });
    await this.app.expect([204], 'POST', `/channels/${this.p3}/dial`, { timeout: String(dialTimeoutS), ...(withCaller ? { caller: this.agent } : {}) });
  }

  /** p3 answered: its ringback stopped. */
  async partyAnswered(): Promise<void> {
    await this.app.event(`${this.p3} answering`, answered(this.p3));
    await this.app.expect([204], 'DELETE', `/playbacks/${this.p3Ringback}`);
  }

  /** The product's move (AriAdapter.moveToBridge): ONE addChannel of a channel still in another bridge. */
  async move(channel: string, to: string): Promise<void> {
    await this.app.expect([204], 'POST', `/bridges/${to}/addChannel`, { channel });
    await this.app.event(`ChannelEnteredBridge of ${channel} into ${to}`, (e) => is('ChannelEnteredBridge', channel)(e) && text(obj(e, 'bridge'), 'id') === to);
  }

  /**
   * Consultation as the product starts it: the consult bridge (mixing, named after the call), the
   * agent moved into it, music on hold on the MAIN bridge (the customer stays there), p3 added to
   * the consult bridge with ringback to the agent; resolves once p3 has answered.
   */
  async consult(number: string, hold: 'moh' | 'tone' = 'moh'): Promise<void> {
    await this.app.expect([200], 'POST', '/bridges', { bridgeId: this.consultBridge, type: 'mixing', name: this.name });
    await this.move(this.agent, this.consultBridge);
    if (hold === 'moh') await this.app.expect([204], 'POST', `/bridges/${this.bridge}/moh`, { mohClass: 'default' });
    else await this.app.expect([201], 'POST', `/bridges/${this.bridge}/play`, { media: HOLD_TONE, playbackId: this.holdPlayback });
    await this.addParty(number, this.agent, this.consultBridge);
    await this.partyAnswered();
  }

  /**
   * Destroys a bridge and waits for its BridgeDestroyed; if none comes within 2 s, checks with GET
   * that it is gone (404). On 18.9 the app's subscription to a bridge is counted by the requests
   * that add and take out channels, not by hang-ups: a consult bridge whose channels left it by
   * hang-up and by a move sends the app no BridgeDestroyed.
   */
  async destroyBridge(bridge: string): Promise<void> {
    await this.app.expect([204], 'DELETE', `/bridges/${bridge}`);
    try {
      await this.app.event(`BridgeDestroyed of ${bridge}`, (e) => text(e, 'type') === 'BridgeDestroyed' && text(obj(e, 'bridge'), 'id') === bridge, 2000);
    } catch {
      await this.app.expect([404], 'GET', `/bridges/${bridge}`);
    }
  }

  gone(channel: string): Promise<JsonObject> {
    return this.app.event(`ChannelDestroyed of ${channel}`, is('ChannelDestroyed', channel));
  }

  /** Hangs up each leg the app still believes in (404 once gone), then destroys the bridge. */
  async cleanUp(legs: string[]): Promise<void> {
    for (const leg of legs) await this.app.expect([204, 404], 'DELETE', `/channels/${leg}`);
    await Promise.all([this.gone(this.agent), this.gone(this.target)]);
    // The bridge outlives its channels; it goes last, once their events are in.
    await sleep(500);
    await this.app.expect([204], 'DELETE', `/bridges/${this.bridge}`);
    await this.app.event(`BridgeDestroyed of ${this.bridge}`, (e) => text(e, 'type') === 'BridgeDestroyed' && text(obj(e, 'bridge'), 'id') === this.bridge);
  }
}

// ---- the scenarios -------------------------------------------------------------------------
// Numbers follow spec/e2e/sipp/provider-uas.xml: …0486 busy, …0404 not found, …0480 rings until
// CANCEL, …0777 answers and hangs up 2 s after the ACK, …0712 12 s after the ACK, anything else
// rings 300 ms and answers.

const AGENT = { answers: '+15551230001', busy: '+15551230486', ringsForever: '+15551230480', hangsUpAfter2s: '+15551230777' } as const;
const TARGET = {
  answers: '+12025550123', busy: '+12025550486', notFound: '+12025550404', ringsForever: '+12025550480', hangsUpAfter2s: '+12025550777',
  /** 183 with SDP and a tone as early media for 4 s, then answers; …0184: the tone 2 s, then 404. */
  earlyMediaThenAnswers: '+12025550183', announcementThenNotFound: '+12025550184',
} as const;
/** The added party of the multi-party scenarios (transferred to, consulted or conferenced); …0712 hangs up 12 s after the ACK. */
const THIRD = { answers: '+12025550124', hangsUpAfter2s: '+12025550777', hangsUpAfter12s: '+12025550712' } as const;
/**
 * The caller ID the product sets on an added leg (`CALLERID(num)`): the call's own, the one the
 * agent leg was originated with (engine/call-parties-desk.ts). The provider must see it in p3's
 * INVITE From. It gets there through the dial's `caller`: Asterisk copies the caller channel's
 * caller ID into p3's connected line, which chan_pjsip puts in From; the variable alone does not
 * (dialed without `caller`, From says "Anonymous"; see spec/e2e/README.md).
 */
const PARTY_CALLER_NUMBER = '+15550001111';
/** The product's hold tone (engine/call-runner.ts): indications.conf's call-waiting beep, a short tone every ten seconds. */
const HOLD_TONE = 'tone:callwaiting';

interface RestScenario {
  kind: 'rest';
  name: string;
  agent: string;
  target: string;
  /** The third leg's number, in the multi-party scenarios. */
  third?: string;
  /** What p3's INVITE From must say: the call's caller ID (default), or Anonymous (dialed with no caller). */
  p3From?: 'caller' | 'anonymous';
  /** Needs a music-on-hold class `default` (the lab configures one when <data dir>/moh holds files). */
  moh?: boolean;
  what: string;
  run(call: Call, lab: AsteriskLab): Promise<void>;
}

/** A target that ends on its own (busy, not found, dial timeout): the app then hangs up both legs. */
const targetEnds = async (call: Call, number: string, dialTimeoutS: number): Promise<void> => {
  if (!(await call.originateAgent(AGENT.answers, 20))) throw new Error('the agent leg did not answer');
  await call.dialTarget(number, dialTimeoutS);
  await call.gone(call.target);
  await call.cleanUp([call.agent, call.target]);
};

/** The consultation scenarios' first half: the call connected, after 1 s the agent consults the third number (it answers), then 2 s with it. */
async function consult(call: Call, scenario: RestScenario, hold: 'moh' | 'tone' = 'moh'): Promise<void> {
  if (!scenario.third) throw new Error(`the scenario ${scenario.name} consults, so it needs a third number`);
  await call.connect(scenario.agent, scenario.target);
  await sleep(1000);
  await call.consult(scenario.third, hold);
  await sleep(2000);
}

/**
 * Back from a consultation: p3 hung up, the agent moved to the main bridge, the hold sound stopped,
 * the consult bridge destroyed; 2 s later the app hangs up agent then customer.
 */
async function backFromConsult(call: Call, hold: 'moh' | 'tone'): Promise<void> {
  await call.app.expect([204], 'DELETE', `/channels/${call.p3}`);
  await call.move(call.agent, call.bridge);
  if (hold === 'moh') await call.app.expect([204], 'DELETE', `/bridges/${call.bridge}/moh`);
  else await call.app.expect([204], 'DELETE', `/playbacks/${call.holdPlayback}`);
  await call.destroyBridge(call.consultBridge);
  await call.gone(call.p3);
  await sleep(2000);
  await call.cleanUp([call.agent, call.target]);
}

/** A supervisor's phone (call/supervision.ts rings it over the call's route); it answers like an agent's. */
const SUPERVISOR = '+15551230002';
/** The supervisor's Telegram id, which the product puts in its supervision channels' Stasis arguments (supervisionAppArgs). */
const SUPERVISOR_TELEGRAM_ID = '700001';

const REST_SCENARIOS: RestScenario[] = [
  {
    kind: 'rest', name: 'happy', agent: AGENT.answers, target: TARGET.answers,
    what: 'both answer, talk 2 s, agent leg hung up by the app, then target, bridge destroyed',
    async run(call) {
      if (!(await call.originateAgent(this.agent, 20))) throw new Error('the agent leg did not answer');
      await call.dialTarget(this.target, 20);
      await call.app.event('the target answering', answered(call.target));
      await call.app.expect([204], 'DELETE', `/playbacks/${call.ringback}`);
      await sleep(2000);
      await call.cleanUp([call.agent, call.target]);
    },
  },
  {
    kind: 'rest', name: 'agent-busy', agent: AGENT.busy, target: TARGET.answers,
    what: 'agent leg gets 486',
    async run(call) {
      if (await call.originateAgent(this.agent, 20)) throw new Error('the busy agent leg entered Stasis');
    },
  },
  {
    kind: 'rest', name: 'agent-noanswer', agent: AGENT.ringsForever, target: TARGET.answers,
    what: 'agent leg rings past its originate timeout (4 s)',
    async run(call) {
      if (await call.originateAgent(this.agent, 4)) throw new Error('the ringing agent leg entered Stasis');
    },
  },
  {
    kind: 'rest', name: 'target-busy', agent: AGENT.answers, target: TARGET.busy,
    what: 'target leg gets 486', run: (call) => targetEnds(call, TARGET.busy, 20),
  },
  {
    kind: 'rest', name: 'target-notfound', agent: AGENT.answers, target: TARGET.notFound,
    what: 'target leg gets 404', run: (call) => targetEnds(call, TARGET.notFound, 20),
  },
  {
    kind: 'rest', name: 'target-noanswer', agent: AGENT.answers, target: TARGET.ringsForever,
    what: 'target rings past its dial timeout (4 s)', run: (call) => targetEnds(call, TARGET.ringsForever, 4),
  },
  {
    kind: 'rest', name: 'target-hangs-up', agent: AGENT.answers, target: TARGET.hangsUpAfter2s,
    what: 'target answers, then hangs up (BYE from the provider)',
    async run(call) {
      if (!(await call.originateAgent(this.agent, 20))) throw new Error('the agent leg did not answer');
      await call.dialTarget(this.target, 20);
      await call.app.event('the target answering', answered(call.target));
      await call.app.expect([204], 'DELETE', `/playbacks/${call.ringback}`);
      await call.gone(call.target);
      await call.cleanUp([call.agent]);
    },
  },
  {
    kind: 'rest', name: 'agent-hangs-up-while-target-rings', agent: AGENT.hangsUpAfter2s, target: TARGET.ringsForever,
    what: 'agent answers and hangs up while the target still rings; the app does nothing until the target\'s 30 s dial timeout',
    async run(call) {
      if (!(await call.originateAgent(this.agent, 20))) throw new Error('the agent leg did not answer');
      await call.dialTarget(this.target, 30);
      await call.gone(call.agent);
      await call.gone(call.target);
      await call.cleanUp([call.agent, call.target]);
    },
  },

  // ---- early media (issue 25), with the product's requests (call/early-media.ts) ----
  {
    kind: 'rest', name: 'target-early-media', agent: AGENT.answers, target: TARGET.earlyMediaThenAnswers,
    what: 'agent answers, ringback, the target created in the bridge and dialed; the target sends 183 with SDP and streams a tone: on its Dial PROGRESS the ringback is stopped (the agent hears the tone through the bridge); the target answers 4 s later, talks 1 s, the app hangs up agent then customer, bridge destroyed',
    async run(call) {
      if (!(await call.originateAgent(this.agent, 20))) throw new Error('the agent leg did not answer');
      await call.dialTarget(this.target, 20);
      await call.app.event('the target\'s early media', (e) => is('Dial', call.target)(e) && text(e, 'dialstatus') === 'PROGRESS');
      await call.app.expect([204], 'DELETE', `/playbacks/${call.ringback}`);
      await call.app.event('the target answering', answered(call.target));
      await sleep(1000);
      await call.cleanUp([call.agent, call.target]);
    },
  },
  {
    kind: 'rest', name: 'target-announcement-fails', agent: AGENT.answers, target: TARGET.announcementThenNotFound,
    what: 'as target-early-media up to the ringback stopped on Dial PROGRESS; after 2 s of the tone the target answers 404 (cause 1): the app hangs up the agent, bridge destroyed',
    async run(call) {
      if (!(await call.originateAgent(this.agent, 20))) throw new Error('the agent leg did not answer');
      await call.dialTarget(this.target, 20);
      await call.app.event('the target\'s early media', (e) => is('Dial', call.target)(e) && text(e, 'dialstatus') === 'PROGRESS');
      await call.app.expect([204], 'DELETE', `/playbacks/${call.ringback}`);
      await call.gone(call.target);
      await call.cleanUp([call.agent, call.target]);
    },
  },
  // ---- supervision, with exactly the product's requests (call/supervision.ts through ari/ari-adapter.ts) ----
  {
    kind: 'rest', name: 'supervise', agent: AGENT.answers, target: TARGET.answers,
    what: 'connected call; the supervisor\'s leg originated into the app (appArgs supervision,<supervision>,<call>,<supervisor\'s Telegram id>, as call/supervision.ts makes them; the snoops carry the same); on its StasisStart a mixing bridge of the supervision\'s, the supervisor in it, a snoop on the agent\'s leg (spy=both, whisper=none) whose StasisStart puts it in that bridge; 1 s later the snoop hung up and a second one made with whisper=out; 1 s later that one hung up, the supervisor moved into the call\'s bridge (barge) and the supervision\'s bridge destroyed; 1 s later the app hangs up the supervisor, then agent and customer, bridge destroyed',
    async run(call) {
      await call.connect(this.agent, this.target);
      // The product's ids and Stasis arguments (call/supervision.ts), so the capture cannot drift from what the app sends.
      const supervision = { supervisionId: `${call.name}-s1`, callId: call.name, supervisorTelegramId: SUPERVISOR_TELEGRAM_ID };
      const { supervisorChannelId: supervisor, bridgeId: own } = supervisionIds(supervision.supervisionId);
      const snoop = (n: number) => snoopChannelId(supervision.supervisionId, n);
      const appArgs = supervisionAppArgs(supervision);
      await call.app.expect([200], 'POST', '/channels', {
        channelId: supervisor, endpoint: `PJSIP/${SUPERVISOR}@trunk-main`, app: APP, appArgs, timeout: '20', callerId: CALLER_ID,
      });
      await call.app.event(`StasisStart of ${supervisor}`, is('StasisStart', supervisor));
      // AriAdapter.createBridge as the supervision runner calls it: the bridge named after its own id.
      await call.app.expect([200], 'POST', '/bridges', { bridgeId: own, type: 'mixing', name: own });
      await call.app.expect([204], 'POST', `/bridges/${own}/addChannel`, { channel: supervisor });
      const snoopInto = async (n: number, whisper: 'none' | 'out') => {
        await call.app.expect([200], 'POST', `/channels/${call.agent}/snoop`, {
          spy: 'both', whisper, app: APP, appArgs, snoopId: snoop(n),
        });
        await call.app.event(`StasisStart of ${snoop(n)}`, is('StasisStart', snoop(n)));
        await call.app.expect([204], 'POST', `/bridges/${own}/addChannel`, { channel: snoop(n) });
      };
      await snoopInto(1, 'none');
      await sleep(1000);
      await call.app.expect([204], 'DELETE', `/channels/${snoop(1)}`);
      await snoopInto(2, 'out');
      // A snoop channel is not the app's own: its StasisEnd is the last the app hears of it (no ChannelDestroyed, as captured).
      await call.app.event(`StasisEnd of ${snoop(1)}`, is('StasisEnd', snoop(1)));
      await sleep(1000);
      await call.app.expect([204], 'DELETE', `/channels/${snoop(2)}`);
      await call.move(supervisor, call.bridge);
      await call.destroyBridge(own);
      await call.app.event(`StasisEnd of ${snoop(2)}`, is('StasisEnd', snoop(2)));
      await sleep(1000);
      await call.app.expect([204], 'DELETE', `/channels/${supervisor}`);
      await call.gone(supervisor);
      await call.cleanUp([call.agent, call.target]);
    },
  },

  // ---- multi-party, with exactly the product's requests (call/parties.ts through ari/ari-adapter.ts) ----
  {
    kind: 'rest', name: 'cold-transfer', agent: AGENT.answers, target: TARGET.answers, third: THIRD.answers,
    what: 'connected call; p3 created (CALLERID(num) in the body), ringback played to the customer, p3 added to the main bridge and dialed with the agent as caller; p3 answers: ringback stopped, the agent hung up; customer and p3 talk 2 s, then the app hangs up customer then p3, bridge destroyed',
    async run(call) {
      await call.connect(this.agent, this.target);
      await sleep(1000);
      await call.addParty(this.third!, call.target, call.bridge);
      await call.partyAnswered();
      await call.app.expect([204], 'DELETE', `/channels/${call.agent}`);
      await call.gone(call.agent);
      await sleep(2000);
      await call.cleanUp([call.target, call.p3]);
    },
  },
  {
    kind: 'rest', name: 'cold-transfer-agent-gone', agent: AGENT.answers, target: TARGET.answers, third: THIRD.answers, p3From: 'anonymous',
    what: 'connected call; p3 created (CALLERID(num) in the body) and ringback played to the customer, then the agent hangs up before p3 is dialed: p3 added to the main bridge (with the customer only) and dialed with no caller, as the product does when the owner\'s leg is gone; p3 answers: ringback stopped; the app ends the call 1 s later. Its INVITE says From: Anonymous',
    async run(call) {
      await call.connect(this.agent, this.target);
      await sleep(1000);
      await call.askForParty(this.third!, call.target);
      await call.app.expect([204], 'DELETE', `/channels/${call.agent}`);
      await call.gone(call.agent);
      await call.joinAndDial(call.bridge, 20, false);
      await call.partyAnswered();
      await sleep(1000);
      await call.cleanUp([call.target, call.p3]);
    },
  },
  {
    kind: 'rest', name: 'consult-then-back', agent: AGENT.answers, target: TARGET.answers, third: THIRD.answers, moh: true,
    what: 'connected call; consult bridge created, the agent moved into it (one addChannel), music on hold on the main bridge, p3 created, ringback to the agent, p3 into the consult bridge and dialed; p3 answers: ringback stopped; after 2 s back: p3 hung up, the agent moved to the main bridge, music stopped, consult bridge destroyed; 2 s later the app hangs up agent then customer, main bridge destroyed',
    async run(call) {
      await consult(call, this);
      await backFromConsult(call, 'moh');
    },
  },
  {
    kind: 'rest', name: 'consult-hold-tone', agent: AGENT.answers, target: TARGET.answers, third: THIRD.answers,
    what: 'as consult-then-back, with the hold tone (HOLD_SOUND=tone) played to the main bridge instead of music on hold: a bridge playback with the product\'s id; after 2 s back: p3 hung up, the agent moved to the main bridge, the playback stopped (DELETE /playbacks), consult bridge destroyed; 2 s later the app hangs up agent then customer, main bridge destroyed',
    async run(call) {
      await consult(call, this, 'tone');
      await backFromConsult(call, 'tone');
    },
  },
  {
    kind: 'rest', name: 'consult-then-complete', agent: AGENT.answers, target: TARGET.answers, third: THIRD.hangsUpAfter12s, moh: true,
    what: 'as consult-then-back up to p3 answering (…0712: BYE 12 s after its ACK); after 2 s complete: p3 moved to the main bridge, music stopped, consult bridge destroyed, the agent hung up; p3 hangs up (BYE), then the app hangs up the customer, main bridge destroyed',
    async run(call) {
      await consult(call, this);
      await call.move(call.p3, call.bridge);
      await call.app.expect([204], 'DELETE', `/bridges/${call.bridge}/moh`);
      await call.destroyBridge(call.consultBridge);
      await call.app.expect([204], 'DELETE', `/channels/${call.agent}`);
      await call.gone(call.agent);
      await call.gone(call.p3);
      await call.cleanUp([call.target]);
    },
  },
  {
    kind: 'rest', name: 'conference-three', agent: AGENT.answers, target: TARGET.answers, third: THIRD.hangsUpAfter2s,
    what: 'connected call; p3 created (CALLERID(num) in the body), ringback to the agent, p3 added to the main bridge and dialed; p3 answers (ringback stopped) and hangs up (BYE 2 s after its ACK); agent and customer talk 2 s more, then the app hangs up agent then customer, bridge destroyed',
    async run(call) {
      await call.connect(this.agent, this.target);
      await sleep(1000);
      await call.addParty(this.third!, call.agent, call.bridge);
      await call.partyAnswered();
      await call.gone(call.p3);
      await sleep(2000);
      await call.cleanUp([call.agent, call.target]);
    },
  },

  // ---- recording (issue 24), with exactly the product's requests (engine/call-runner.ts through ari/ari-adapter.ts) ----
  {
    kind: 'rest', name: 'recording', agent: AGENT.answers, target: TARGET.answers,
    what: 'connected call; the main bridge recorded (name <call>-rec, format wav) 1 s, paused 1 s, unpaused, 1 s more, stopped; the stored file read (binary) and deleted; then what Asterisk answers for a recording, a bridge and a stored file that are not there, and for an unknown format; the app hangs up agent then customer, bridge destroyed',
    async run(call) {
      await call.connect(this.agent, this.target);
      await call.record();
      await sleep(1000);
      await call.app.expect([204], 'POST', `/recordings/live/${call.recording}/pause`);
      await sleep(1000);
      await call.app.expect([204], 'DELETE', `/recordings/live/${call.recording}/pause`);
      await sleep(1000);
      await call.app.expect([204], 'POST', `/recordings/live/${call.recording}/stop`);
      await call.app.event(`RecordingFinished of ${call.recording}`, recordingEvent('RecordingFinished', call.recording));
      const stored = await call.app.file('GET', `/recordings/stored/${call.recording}/file`);
      if (stored.status !== 200 || stored.bytes.subarray(0, 4).toString('latin1') !== 'RIFF') throw new Error(`the stored recording is not a WAV file (HTTP ${stored.status})`);
      await call.app.expect([204], 'DELETE', `/recordings/stored/${call.recording}`);
      // What is no longer there, and what never was: recorded as Asterisk answers, whatever it is.
      await call.app.file('GET', `/recordings/stored/${call.recording}/file`);
      await call.app.call('DELETE', `/recordings/stored/${call.recording}`);
      await call.app.call('POST', `/recordings/live/${call.recording}/stop`);
      await call.app.call('POST', `/recordings/live/${call.recording}/pause`);
      await call.app.call('DELETE', `/recordings/live/${call.recording}/pause`);
      await call.app.call('POST', `/bridges/${call.name}-nobridge/record`, { name: `${call.name}-nobridge-rec`, format: 'wav' });
      await call.app.call('POST', `/bridges/${call.bridge}/record`, { name: `${call.name}-badformat`, format: 'nosuchformat' });
      await sleep(500);
      await call.cleanUp([call.agent, call.target]);
    },
  },
  {
    kind: 'rest', name: 'consent-announcement', agent: AGENT.answers, target: TARGET.answers,
    what: 'agent answers: bridge, the agent in it, ringback to the agent; the customer created and dialed OUTSIDE the bridge; on the answer a sound that does not exist is played to the customer (what Asterisk says), then the announcement (sound:hello-world, playback <call>-consent); on its PlaybackFinished ringback stopped, the bridge recorded (the agent and the recorder), then the customer added to it; 1.5 s later the app hangs up agent then customer and destroys the bridge (the recording ends with it)',
    async run(call) {
      if (!(await call.originateAgent(this.agent, 20))) throw new Error('the agent leg did not answer');
      await call.createBridge();
      await call.app.expect([204], 'POST', `/bridges/${call.bridge}/addChannel`, { channel: call.agent });
      await call.app.expect([201], 'POST', `/channels/${call.agent}/play`, { media: 'tone:ring', playbackId: call.ringback });
      await call.app.expect([200], 'POST', '/channels/create', {
        channelId: call.target, endpoint: `PJSIP/${this.target}@trunk-main`, app: APP, appArgs: `target,${call.name}`,
      });
      await call.app.event(`StasisStart of ${call.target}`, is('StasisStart', call.target));
      await call.app.expect([204], 'POST', `/channels/${call.target}/dial`, { caller: call.agent, timeout: '20' });
      await call.app.event('the target answering', answered(call.target));
      const missing = await call.app.call('POST', `/channels/${call.target}/play`, { media: 'sound:callbot-no-such-sound', playbackId: `${call.name}-missing` });
      if (missing.status === 201) await call.app.event('PlaybackFinished of the missing sound', playbackEvent('PlaybackFinished', `${call.name}-missing`));
      await call.app.expect([201], 'POST', `/channels/${call.target}/play`, { media: 'sound:hello-world', playbackId: call.announcement });
      await call.app.event('PlaybackFinished of the announcement', playbackEvent('PlaybackFinished', call.announcement));
      // The product's order (call/recording.ts's join): ringback stopped, the recorder in first, then the customer.
      await call.app.expect([204], 'DELETE', `/playbacks/${call.ringback}`);
      await call.app.expect([201], 'POST', `/bridges/${call.bridge}/record`, { name: call.recording, format: 'wav' });
      await call.app.expect([204], 'POST', `/bridges/${call.bridge}/addChannel`, { channel: call.target });
      await call.app.event(`RecordingStarted of ${call.recording}`, recordingEvent('RecordingStarted', call.recording));
      await sleep(1500);
      await call.cleanUp([call.agent, call.target]);
      await call.app.event(`RecordingFinished of ${call.recording}`, recordingEvent('RecordingFinished', call.recording));
    },
  },
];

/** The pool number a customer calls back in the inbound scenarios (the dialplan sends any number into Stasis). */
const POOL_NUMBER = '+15550001111';

/**
 * A customer's INVITE from the Main provider's address (sipp `scenario`, spec/e2e/sipp/), which the
 * bundled dialplan hands unanswered to the app as `inbound,<number>`; resolves with its channel id
 * and the sipp run's end (its exit status is the scenario's to judge).
 */
async function callIn(call: Call, lab: AsteriskLab, scenario: string): Promise<{ customer: string; done: Promise<number | null> }> {
  const done = lab.uac(`${call.name}-customer`, '127.0.0.2', 5070, POOL_NUMBER, scenario).then((r) => r.code);
  const start = await call.app.event('the customer\'s StasisStart (inbound)', (e) => {
    const args = isObject(e) ? e['args'] : undefined;
    return text(e, 'type') === 'StasisStart' && Array.isArray(args) && args[0] === 'inbound';
  });
  call.inboundChannel = channelOf(start);
  return { customer: call.inboundChannel, done };
}

const INBOUND_SCENARIOS: RestScenario[] = [
  {
    kind: 'rest', name: 'return-call', agent: AGENT.answers, target: TARGET.answers,
    what: 'a customer (sipp customer-uac.xml) calls a pool number: StasisStart inbound,<number> in state Ring; the app rings it (180), creates the bridge and originates the agent with the customer\'s number as caller ID; the agent answers: the agent into the bridge, the customer answered and added; the customer hangs up 2 s after the ACK (StasisEnd, no ChannelDestroyed for a dialplan channel); the app hangs up the agent and destroys the bridge',
    async run(call, lab) {
      const { customer, done } = await callIn(call, lab, 'customer-uac.xml');
      await call.app.expect([204], 'POST', `/channels/${customer}/ring`);
      await call.createBridge();
      await call.app.expect([200], 'POST', '/channels', {
        channelId: call.agent, endpoint: `PJSIP/${AGENT.answers}@trunk-main`, app: APP, appArgs: `agent,${call.name}`, timeout: '20', callerId: TARGET.answers,
      });
      await call.app.event(`StasisStart of ${call.agent}`, is('StasisStart', call.agent));
      await call.app.expect([204], 'POST', `/bridges/${call.bridge}/addChannel`, { channel: call.agent });
      await call.app.expect([204], 'POST', `/channels/${customer}/answer`);
      await call.app.expect([204], 'POST', `/bridges/${call.bridge}/addChannel`, { channel: customer });
      await call.app.event(`StasisEnd of ${customer}`, is('StasisEnd', customer));
      await call.app.expect([204], 'DELETE', `/channels/${call.agent}`);
      await call.gone(call.agent);
      await sleep(500);
      await call.app.expect([204], 'DELETE', `/bridges/${call.bridge}`);
      const code = await done;
      if (code !== 0) throw new Error(`the customer's sipp run failed (exit status ${String(code)})`);
    },
  },
  {
    kind: 'rest', name: 'return-call-refused', agent: AGENT.answers, target: TARGET.answers,
    what: 'a call from the Main provider\'s address (sipp stranger-uac.xml) to a number outside the pool: StasisStart inbound,<number> in state Ring; the app refuses it with DELETE /channels/{id}?reason=rejected (the caller gets 403); nothing else',
    async run(call, lab) {
      const { customer, done } = await callIn(call, lab, 'stranger-uac.xml');
      await call.app.expect([204], 'DELETE', `/channels/${customer}`, { reason: 'rejected' });
      await call.app.event(`StasisEnd of ${customer}`, is('StasisEnd', customer));
      const code = await done;
      if (code !== 0) throw new Error(`the caller's sipp run did not end on a refusal (exit status ${String(code)})`);
    },
  },
];

const WS_DROP = {
  name: 'ws-drop', agent: AGENT.answers, target: TARGET.answers,
  what: 'connected call; the app\'s WebSocket is closed for 3 s and reopened, then the app hangs up',
} as const;
const SCENARIO_NAMES = [...REST_SCENARIOS.map((s) => s.name), ...INBOUND_SCENARIOS.map((s) => s.name), WS_DROP.name];

async function recordRest(lab: AsteriskLab, scenario: RestScenario): Promise<JsonObject> {
  const app = new AppConnection(lab);
  const sip = lab.provider('main').trace;
  const sipFrom = sip.mark();
  let call: Call | undefined;
  await app.open();
  try {
    call = new Call(app, scenario.name);
    await scenario.run(call, lab);
    await app.quiet();
  } finally {
    await app.close();
  }
  await lab.expectNothingLeft();
  const thirdFrom = scenario.third === undefined ? undefined : fromOfInviteTo(sip.since(sipFrom), scenario.third);
  const expectedFrom = scenario.p3From === 'anonymous' ? 'anonymous' : PARTY_CALLER_NUMBER;
  if (thirdFrom !== undefined && uriUser(thirdFrom) !== expectedFrom) {
    throw new Error(`the INVITE to p3 (${scenario.third}) says From: ${thirdFrom}; expected ${expectedFrom}`);
  }
  return {
    scenario: scenario.name, what: scenario.what, agent: scenario.agent, target: scenario.target,
    ...(scenario.third !== undefined ? { third: scenario.third, thirdInviteFrom: thirdFrom ?? null } : {}),
    // The customer's channel of an inbound scenario: Asterisk named it, the replay has it call in.
    ...(call?.inboundChannel !== undefined ? { inbound: { channel: call.inboundChannel, calledNumber: POOL_NUMBER } } : {}),
    rest: app.rest.map((r) => ({ ...r })), events: app.events,
  };
}

/** The From header of the one INVITE the provider got for `number` (the scenario's added leg). */
function fromOfInviteTo(messages: SipMessage[], number: string): string {
  const invites = invitesIn(messages).filter((m) => m.requestUser === number);
  if (invites.length !== 1) throw new Error(`expected one INVITE to ${number} at the provider, found ${invites.length}`);
  return sipHeader(invites[0]!, 'From') ?? '';
}

/** GET /channels as [{id, state}] and the bridge as [{id, channels}]: what the replay compares. */
async function stateOf(app: AppConnection, bridge: string): Promise<JsonObject> {
  const channels = await app.expect([200], 'GET', '/channels');
  const b = await app.expect([200], 'GET', `/bridges/${bridge}`);
  return {
    channels: (Array.isArray(channels) ? channels.filter(isObject) : []).map((c) => ({ id: text(c, 'id'), state: text(c, 'state') })),
    bridges: [{ id: text(b, 'id'), channels: isObject(b) ? b['channels'] ?? [] : [] }],
  };
}

async function recordWsDrop(lab: AsteriskLab): Promise<JsonObject> {
  const app = new AppConnection(lab);
  await app.open();
  const call = new Call(app, 'wsdrop');
  let eventsBeforeDrop: JsonObject[] = [];
  let stateWhileDisconnected: JsonObject = {};
  let stateAfterAgentHangup: JsonObject = {};
  try {
    if (!(await call.originateAgent(WS_DROP.agent, 20, false))) throw new Error('the agent leg did not answer');
    await call.dialTarget(WS_DROP.target, 20, { ringback: false });
    await app.event('the target answering', (e) => text(e, 'type') === 'Dial' && text(e, 'dialstatus') === 'ANSWER' && channelOf(e) === call.target);
    await app.quiet();

    // The drop: Asterisk keeps the call, the bridge and the app's hold on them while no socket is open.
    await app.close();
    eventsBeforeDrop = app.events;
    app.events = [];
    await sleep(3000);
    const apps = await app.expect([200], 'GET', '/applications');
    stateWhileDisconnected = { ...(await stateOf(app, call.bridge)), apps };

    await app.open();
    await app.expect([204], 'DELETE', `/channels/${call.agent}`);
    await call.gone(call.agent);
    await app.quiet();
    stateAfterAgentHangup = await stateOf(app, call.bridge);
    await sleep(1000);
    await app.expect([204], 'DELETE', `/channels/${call.target}`);
    await app.expect([204], 'DELETE', `/bridges/${call.bridge}`);
    await call.gone(call.target);
    await app.quiet();
  } finally {
    await app.close();
  }
  await lab.expectNothingLeft();
  return {
    scenario: WS_DROP.name, what: WS_DROP.what, agent: WS_DROP.agent, target: WS_DROP.target,
    rest: app.rest.map((r) => ({ ...r })),
    eventsBeforeDrop, stateWhileDisconnected, eventsAfterReconnect: app.events, stateAfterAgentHangup,
  };
}

// ---- the header and the files ----------------------------------------------------------------

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the recorder with \`npm run capture:asterisk\` (scripts/e2e/capture-asterisk.sh sets it)`);
  return value;
}

/** Which build recorded the fixtures: the binary's own version, ARI's build info, sipp, the date. */
async function header(lab: AsteriskLab): Promise<JsonObject> {
  const asteriskBin = need('ASTERISK_BIN');
  const versionLine = spawnSync(asteriskBin, ['-V'], { encoding: 'utf8' }).stdout.trim();
  const info = await lab.rest('GET', '/asterisk/info');
  const infoBody = info.body as Json;
  // The CLI prints start-up notices too; only the version line is wanted.
  const pjproject = lab.cli('pjsip show version').split('\n').find((l) => /PJPROJECT version/i.test(l))?.trim() ?? 'unknown';
  return {
    asterisk: versionLine,
    ariAsteriskInfo: { system: obj(infoBody, 'system') ?? null, build: obj(infoBody, 'build') ?? null },
    pjproject,
    build: process.env.ASTERISK_BUILD_NOTE || `not described (set ASTERISK_BUILD_NOTE to say how ${asteriskBin} was built)`,
    sipp: need('CAPTURE_SIPP_VERSION'),
    provider: 'spec/e2e/sipp/provider-uas.xml, as trunk-main (127.0.0.2)',
    asteriskConfig: 'the callbot bundle (npm run asterisk:config) plus the e2e lab\'s own files (spec/e2e/support/lab.ts)',
    recordedAt: new Date().toISOString(),
    recordedBy: 'npm run capture:asterisk (scripts/e2e/capture-asterisk.sh → spec/e2e/capture/record-captures.ts)',
  };
}

/** "Asterisk certified/18.9-cert4" → "18.9-cert4"; "Asterisk 22.10.1" → "22.10.1". */
function versionSlug(versionLine: string): string {
  const m = /(\d+\.\d+(?:\.\d+)?(?:-cert\d+)?)/.exec(versionLine);
  if (m?.[1] === undefined) throw new Error(`cannot read a version from "${versionLine}"`);
  return m[1];
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((n) => !SCENARIO_NAMES.includes(n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIO_NAMES.join(', ')}`);
  const chosen = (name: string): boolean => wanted.length === 0 || wanted.includes(name);

  const lab = await AsteriskLab.start('capture');
  try {
    const recorded = await header(lab);
    const outDir = process.env.CAPTURE_OUT_DIR || path.join(REPO, 'spec', 'fixtures', `asterisk-${versionSlug(text(recorded, 'asterisk'))}`);
    const staged: Array<[string, JsonObject]> = [];
    if (REST_SCENARIOS.some((s) => s.moh === true && chosen(s.name)) && !/Class:\s*default\b/.test(lab.cli('moh show classes'))) {
      throw new Error('Asterisk has no music-on-hold class "default": put music-on-hold files (e.g. Debian\'s asterisk-moh-opsound-wav) in the moh directory of ASTERISK_DATA_DIR (see spec/e2e/README.md)');
    }
    for (const scenario of [...REST_SCENARIOS, ...INBOUND_SCENARIOS].filter((s) => chosen(s.name))) {
      console.log(`capture: ${scenario.name}`);
      staged.push([scenario.name, { recorded, ...(await recordRest(lab, scenario)) }]);
    }
    if (chosen(WS_DROP.name)) {
      console.log(`capture: ${WS_DROP.name}`);
      staged.push([WS_DROP.name, { recorded, ...(await recordWsDrop(lab)) }]);
    }
    // Written only once every scenario asked for has been recorded: never a half-new set.
    fs.mkdirSync(outDir, { recursive: true });
    for (const [name, fixture] of staged) fs.writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
    console.log(`capture: wrote ${staged.length} fixture(s) to ${path.relative(REPO, outDir) || outDir} (${text(recorded, 'asterisk')})`);
  } finally {
    await lab.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`capture: FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
