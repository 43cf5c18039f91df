/**
 * The ARI simulator driven through ari-client 2.2.0 itself, unmodified: connect, events, calls,
 * bridges, playbacks, far-end behaviour, WebSocket drops, restart and a clean stop. Waits are on
 * events or conditions; the only clock is the simulator's own short far-end timers.
 */
import http from 'node:http';

import ari from 'ari-client';
import { WebSocket } from 'ws';

import { AriSimulator, type SentEvent } from '../support/ari-simulator';

const USER = 'callbot';
const PASS = 'sim-secret';
const APP = 'callbot';
const AGENT = 'PJSIP/+15551230001@trunk-main';

// ---- what the spec uses of ari-client (its methods are generated from our swagger docs) -----

interface CallerJson { name: string; number: string }
interface ChannelJson { id: string; name: string; state: string; caller: CallerJson; connected: CallerJson; dialplan: { app_name: string; app_data: string } }
interface BridgeJson { id: string; technology: string; bridge_type: string; channels: string[] }
interface PlaybackJson { id: string; state: string; media_uri: string; target_uri: string }
interface AppJson { name: string; channel_ids: string[]; bridge_ids: string[] }
interface AriEventJson {
  type: string;
  application?: string;
  channel?: ChannelJson;
  peer?: ChannelJson;
  bridge?: BridgeJson;
  playback?: PlaybackJson;
  dialstatus?: string;
  dialstring?: string;
  args?: string[];
  cause?: number;
  soft?: boolean;
  cause_txt?: string;
  digit?: string;
  duration_ms?: number;
}
type Params = Record<string, string | number | boolean>;
type Op<R = unknown> = (params?: Params) => Promise<R>;
interface SpecClient {
  asterisk: { getInfo: Op<{ system: { version: string; entity_id: string } }> };
  applications: { list: Op<AppJson[]>; get: Op<AppJson> };
  channels: {
    list: Op<ChannelJson[]>; get: Op<ChannelJson>; originate: Op<ChannelJson>; originateWithId: Op<ChannelJson>; create: Op<ChannelJson>;
    hangup: Op; dial: Op; answer: Op; ring: Op; play: Op<PlaybackJson>; playWithId: Op<PlaybackJson>;
  };
  bridges: { list: Op<BridgeJson[]>; get: Op<BridgeJson>; create: Op<BridgeJson>; createWithId: Op<BridgeJson>; destroy: Op; addChannel: Op; removeChannel: Op };
  playbacks: { get: Op<PlaybackJson>; stop: Op };
  start(app: string): Promise<void>;
  stop(): void;
  on(event: string, listener: (event: AriEventJson) => void): void;
  once(event: string, listener: () => void): void;
}

/** ari-client ships no types; the repo's declaration covers only what the engine's adapter uses. */
async function connect(sim: AriSimulator): Promise<SpecClient> {
  return (await ari.connect(sim.url, USER, PASS)) as unknown as SpecClient;
}

/** Every event one client received, with a way to await the next that matches. */
class Recorder {
  readonly events: AriEventJson[] = [];
  private readonly waiters = new Set<{ match: (e: AriEventJson) => boolean; resolve: (e: AriEventJson) => void }>();

  constructor(client: SpecClient) {
    client.on('*', (event) => {
      this.events.push(event);
      for (const waiter of this.waiters) {
        if (waiter.match(event)) {
          this.waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    });
  }

  /** The first event (seen already or still to come) that matches. */
  next(match: (e: AriEventJson) => boolean, what: string, timeoutMs = 4000): Promise<AriEventJson> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: AriEventJson) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${this.events.map(brief).join(' ')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  about(channelId: string): AriEventJson[] {
    return this.events.filter((e) => chanOf(e) === channelId);
  }
}

function chanOf(e: AriEventJson): string | undefined {
  return e.channel?.id ?? e.peer?.id ?? (e.playback?.target_uri.startsWith('channel:') ? e.playback.target_uri.slice(8) : undefined);
}

function brief(e: AriEventJson): string {
  return `${e.type}(${chanOf(e) ?? e.bridge?.id ?? ''}${e.dialstatus !== undefined ? `:${e.dialstatus}` : ''})`;
}

const is = (type: string, channelId: string, extra: (e: AriEventJson) => boolean = () => true) => (e: AriEventJson): boolean => e.type === type && chanOf(e) === channelId && extra(e);

function raw(port: number, method: string, path: string, opts: { auth?: string | null; body?: string } = {}): Promise<{ status: number; body: string }> {
  const auth = opts.auth === undefined ? `${USER}:${PASS}` : opts.auth;
  const headers: Record<string, string> = {};
  if (auth !== null) headers['Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (err) => reject(new Error(`${method} ${path} failed`, { cause: err })));
    req.end(opts.body);
  });
}

function rejection(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => {
      throw new Error('expected the request to be rejected');
    },
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
}

/** ari-client reconnects on its own after a drop; resolve when it has. */
function reconnected(client: SpecClient): Promise<void> {
  return new Promise((resolve) => client.once('WebSocketConnected', resolve));
}

// swagger-client logs a deprecation notice on every connect; keep the test output readable.
const originalLog = console.log.bind(console);
beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    if (!JSON.stringify(args).includes('deprecated version of Swagger')) originalLog(...args);
  });
});
afterAll(() => jest.restoreAllMocks());

describe('ARI simulator through ari-client', () => {
  let sim: AriSimulator;
  let client: SpecClient;
  let rec: Recorder;

  beforeAll(async () => {
    sim = await AriSimulator.start({ username: USER, password: PASS, ringMs: 20, hangupAfterMs: 60, dtmfAfterMs: 30 });
    client = await connect(sim);
    rec = new Recorder(client);
    await client.start(APP);
  });

  afterAll(async () => {
    client.stop();
    await sim.stop();
  });

  test('connects: api-docs, the events socket and GET /asterisk/info', async () => {
    const info = await client.asterisk.getInfo();
    expect(info.system.version).toBe('18.9-cert4');
    const seen = sim.requests().map((r) => `${r.method} ${r.path} ${r.status ?? ''}`);
    expect(seen).toContain('GET /ari/api-docs/resources.json 200');
    expect(seen).toContain('GET /ari/api-docs/channels.json 200');
    expect(seen).toContain('GET /ari/events 101');
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
  });

  test('bad credentials: 401 on a plain GET /ari/asterisk/info and on the events socket', async () => {
    const wrong = await raw(sim.port, 'GET', '/ari/asterisk/info', { auth: `${USER}:nope` });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toEqual({ message: 'Authentication required' });
    expect((await raw(sim.port, 'GET', '/ari/asterisk/info', { auth: null })).status).toBe(401);
    expect((await raw(sim.port, 'GET', `/ari/asterisk/info?api_key=${USER}:${PASS}`, { auth: null })).status).toBe(200);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${sim.port}/ari/events?app=${APP}&api_key=${USER}:bad`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('socket opened with bad credentials')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });

  test('originate: Dial and state events while it rings, StasisStart with the split args on answer', async () => {
    const ch = await client.channels.originateWithId({ channelId: 'orig-1', endpoint: AGENT, app: APP, appArgs: 'agent,orig-1', callerId: '"Callbot" <+15550001111>', timeout: 20 });
    expect(ch).toMatchObject({ id: 'orig-1', state: 'Down', caller: { name: 'Callbot', number: '+15550001111' }, dialplan: { app_name: 'AppDial2' } });
    expect(ch.name).toMatch(/^PJSIP\/trunk-main-[0-9a-f]{8}$/);
    const start = await rec.next(is('StasisStart', 'orig-1'), 'StasisStart');
    expect(start.args).toEqual(['agent', 'orig-1']);
    expect(start.channel?.state).toBe('Up');
    expect(start.channel?.dialplan).toMatchObject({ app_name: 'Stasis', app_data: `${APP},agent,orig-1` });
    expect(rec.about('orig-1').map(brief)).toEqual([
      'Dial(orig-1:)', 'ChannelStateChange(orig-1)', 'Dial(orig-1:RINGING)', 'ChannelStateChange(orig-1)', 'Dial(orig-1:ANSWER)', 'ChannelVarset(orig-1)', 'StasisStart(orig-1)',
    ]);
    await client.channels.hangup({ channelId: 'orig-1' });
  });

  test('create + dial: StasisStart in Down at once, then the far end rings and answers', async () => {
    const created = await client.channels.create({ endpoint: 'PJSIP/+12025550123@trunk-main', app: APP, appArgs: 'target,cd-1', channelId: 'cd-1' });
    expect(created.state).toBe('Down');
    const start = await rec.next(is('StasisStart', 'cd-1'), 'StasisStart');
    expect(start.channel?.state).toBe('Down');
    expect(rec.about('cd-1').some((e) => e.type === 'Dial')).toBe(false);
    await client.channels.dial({ channelId: 'cd-1', timeout: 10 });
    await rec.next(is('Dial', 'cd-1', (e) => e.dialstatus === 'ANSWER'), 'Dial ANSWER');
    expect((await client.channels.get({ channelId: 'cd-1' })).state).toBe('Up');
    expect(rec.about('cd-1').filter((e) => e.type === 'Dial').map((e) => [e.dialstatus, e.dialstring])).toEqual([['', '+12025550123@trunk-main'], ['RINGING', ''], ['ANSWER', '']]);
    expect(await rejection(client.channels.dial({ channelId: 'cd-1' }))).toBe(JSON.stringify({ message: "Channel is not in the 'Down' state" }));
    await client.channels.hangup({ channelId: 'cd-1' });
  });

  test('bridges: create, addChannel, removeChannel, destroy; channels outlive the bridge, and a bridge destroyed with a channel in it sends no BridgeDestroyed', async () => {
    await client.channels.create({ endpoint: 'PJSIP/+12025550111@trunk-main', app: APP, channelId: 'br-a' });
    await client.channels.create({ endpoint: 'PJSIP/+12025550112@trunk-main', app: APP, channelId: 'br-b' });
    const bridge = await client.bridges.createWithId({ bridgeId: 'br-1', type: 'mixing', name: 'call-1' });
    expect(bridge).toMatchObject({ id: 'br-1', technology: 'simple_bridge', bridge_type: 'mixing', channels: [] });
    await client.bridges.addChannel({ bridgeId: 'br-1', channel: 'br-a' });
    const entered = await rec.next(is('ChannelEnteredBridge', 'br-a'), 'ChannelEnteredBridge');
    expect(entered.bridge?.channels).toEqual(['br-a']);
    await client.bridges.addChannel({ bridgeId: 'br-1', channel: 'br-b' });
    expect((await client.bridges.get({ bridgeId: 'br-1' })).channels).toEqual(['br-a', 'br-b']);
    expect(sim.channels().find((c) => c.id === 'br-a')?.variables['BRIDGEPEER']).toMatch(/^PJSIP\/trunk-main-/);
    await client.bridges.removeChannel({ bridgeId: 'br-1', channel: 'br-b' });
    expect((await client.bridges.get({ bridgeId: 'br-1' })).channels).toEqual(['br-a']);
    expect(await rejection(client.bridges.addChannel({ bridgeId: 'br-1', channel: 'nobody' }))).toBe(JSON.stringify({ message: 'Channel not found' }));
    await client.bridges.destroy({ bridgeId: 'br-1' });
    // As 18.9-cert4 did in consult-then-complete.json: the channel leaves, the app hears of no BridgeDestroyed.
    await rec.next((e) => e.type === 'ChannelLeftBridge' && e.bridge?.id === 'br-1' && e.channel?.id === 'br-a', 'ChannelLeftBridge of br-a');
    expect(rec.events.filter((e) => e.type === 'BridgeDestroyed')).toEqual([]);
    expect(await rejection(client.bridges.get({ bridgeId: 'br-1' }))).toBe(JSON.stringify({ message: 'Bridge not found' }));
    expect((await client.channels.get({ channelId: 'br-a' })).state).toBe('Down');
    await client.channels.hangup({ channelId: 'br-a' });
    await client.channels.hangup({ channelId: 'br-b' });
  });

  test('hangup twice: ChannelHangupRequest 32/soft, ChannelDestroyed 16, then 404 Channel not found', async () => {
    await client.channels.create({ endpoint: 'PJSIP/+12025550113@trunk-main', app: APP, channelId: 'hu-1' });
    await client.channels.hangup({ channelId: 'hu-1' });
    const request = await rec.next(is('ChannelHangupRequest', 'hu-1'), 'ChannelHangupRequest');
    expect([request.cause, request.soft]).toEqual([32, true]);
    const destroyed = await rec.next(is('ChannelDestroyed', 'hu-1'), 'ChannelDestroyed');
    expect([destroyed.cause, destroyed.cause_txt]).toEqual([16, 'Normal Clearing']);
    expect(rec.about('hu-1').map((e) => e.type).slice(-4)).toEqual(['ChannelHangupRequest', 'StasisEnd', 'ChannelVarset', 'ChannelDestroyed']);
    expect(await rejection(client.channels.hangup({ channelId: 'hu-1' }))).toBe(JSON.stringify({ message: 'Channel not found' }));
  });

  test('far-end BYE ends that leg only (cause 16); the other leg and the bridge stay', async () => {
    await client.channels.originateWithId({ channelId: 'bye-a', endpoint: AGENT, app: APP, appArgs: 'agent', timeout: 20 });
    await rec.next(is('StasisStart', 'bye-a'), 'agent StasisStart');
    await client.channels.create({ endpoint: 'PJSIP/+12025550114@trunk-main', app: APP, channelId: 'bye-t' });
    await client.bridges.createWithId({ bridgeId: 'bye-br', type: 'mixing' });
    await client.bridges.addChannel({ bridgeId: 'bye-br', channel: 'bye-a' });
    await client.bridges.addChannel({ bridgeId: 'bye-br', channel: 'bye-t' });
    await client.channels.dial({ channelId: 'bye-t', caller: 'bye-a' });
    await rec.next(is('Dial', 'bye-t', (e) => e.dialstatus === 'ANSWER'), 'target answer');
    sim.farEndHangup('bye-t');
    expect((await rec.next(is('ChannelDestroyed', 'bye-t'), 'ChannelDestroyed')).cause).toBe(16);
    const request = rec.about('bye-t').find((e) => e.type === 'ChannelHangupRequest');
    expect([request?.cause, request?.soft]).toEqual([16, undefined]);
    expect(rec.about('bye-t').map((e) => e.type).slice(-7)).toEqual(['ChannelHangupRequest', 'ChannelVarset', 'ChannelVarset', 'ChannelLeftBridge', 'StasisEnd', 'ChannelVarset', 'ChannelDestroyed']);
    expect((await client.channels.get({ channelId: 'bye-a' })).state).toBe('Up');
    expect((await client.bridges.get({ bridgeId: 'bye-br' })).channels).toEqual(['bye-a']);
    await client.channels.hangup({ channelId: 'bye-a' });
    await client.bridges.destroy({ bridgeId: 'bye-br' });
  });

  test('scripted far ends: …0777 hangs up by itself, …0151 and farEndDtmf send DTMF', async () => {
    await client.channels.originateWithId({ channelId: 'f777', endpoint: 'PJSIP/+15551230777@trunk-main', app: APP, timeout: 20 });
    expect((await rec.next(is('ChannelDestroyed', 'f777'), 'BYE after answer')).cause).toBe(16);
    expect(rec.about('f777').map((e) => e.type)).toContain('StasisStart');

    await client.channels.originateWithId({ channelId: 'f151', endpoint: 'PJSIP/+15551230151@trunk-main', app: APP, timeout: 20 });
    const dtmf = await rec.next(is('ChannelDtmfReceived', 'f151'), 'DTMF 1');
    expect([dtmf.digit, dtmf.duration_ms]).toEqual(['1', 100]);
    sim.farEndDtmf('f151', '#');
    expect((await rec.next(is('ChannelDtmfReceived', 'f151', (e) => e.digit === '#'), 'DTMF #')).digit).toBe('#');
    await client.channels.hangup({ channelId: 'f151' });
  });

  test('failures: busy 17 / not found 1 / unreachable 34 / originate timeout 0; a dialled target gets no final Dial', async () => {
    const outcome = async (id: string, number: string, timeout = 20): Promise<[number | undefined, string | undefined, string[]]> => {
      await client.channels.originateWithId({ channelId: id, endpoint: `PJSIP/${number}@trunk-main`, app: APP, timeout });
      const destroyed = await rec.next(is('ChannelDestroyed', id), `${id} destroyed`, 3000);
      return [destroyed.cause, destroyed.cause_txt, rec.about(id).filter((e) => e.type === 'Dial').map((e) => e.dialstatus ?? '')];
    };
    expect(await outcome('fail-busy', '+15551230486')).toEqual([17, 'User busy', ['', 'BUSY']]);
    expect(await outcome('fail-404', '+15551230404')).toEqual([1, 'Unallocated (unassigned) number', ['', 'NOANSWER']]);
    expect(await outcome('fail-503', '+15551230503')).toEqual([34, 'Circuit/channel congestion', ['', 'CONGESTION']]);
    expect(await outcome('fail-480', '+15551230480', 1)).toEqual([0, 'Unknown', ['', 'RINGING']]);
    expect(rec.about('fail-480').some((e) => e.type === 'ChannelHangupRequest')).toBe(false);

    await client.channels.create({ endpoint: 'PJSIP/+12025550486@trunk-main', app: APP, channelId: 'dial-busy' });
    await client.channels.dial({ channelId: 'dial-busy' });
    expect((await rec.next(is('ChannelDestroyed', 'dial-busy'), 'dialled busy')).cause).toBe(17);
    expect(rec.about('dial-busy').filter((e) => e.type === 'Dial').map((e) => e.dialstatus)).toEqual(['']);
  });

  test('dial timeout: ChannelHangupRequest 32 then ChannelDestroyed 16 while still Ringing', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes('5550999') ? { kind: 'ring-forever' } : undefined));
    await client.channels.create({ endpoint: 'PJSIP/+12025550999@trunk-main', app: APP, channelId: 'dto-1' });
    await client.channels.dial({ channelId: 'dto-1', timeout: 1 });
    const destroyed = await rec.next(is('ChannelDestroyed', 'dto-1'), 'dial timeout', 3000);
    expect([destroyed.cause, destroyed.channel?.state]).toEqual([16, 'Ringing']);
    const request = rec.about('dto-1').find((e) => e.type === 'ChannelHangupRequest');
    expect([request?.cause, request?.soft]).toEqual([32, true]);
    sim.setFarEnd(() => undefined);
  });

  test('playback: tone plays until stopped (done); a hangup fails it; Down channels refuse play with 412', async () => {
    await client.channels.originateWithId({ channelId: 'pb-1', endpoint: AGENT, app: APP, timeout: 20 });
    await rec.next(is('StasisStart', 'pb-1'), 'StasisStart');
    const pb = await client.channels.playWithId({ channelId: 'pb-1', playbackId: 'ring-1', media: 'tone:ring;tonezone=us' });
    expect(pb).toMatchObject({ id: 'ring-1', state: 'queued', target_uri: 'channel:pb-1' });
    await rec.next((e) => e.type === 'PlaybackStarted' && e.playback?.id === 'ring-1', 'PlaybackStarted');
    expect((await client.playbacks.get({ playbackId: 'ring-1' })).state).toBe('playing');
    await client.playbacks.stop({ playbackId: 'ring-1' });
    expect((await rec.next((e) => e.type === 'PlaybackFinished' && e.playback?.id === 'ring-1', 'PlaybackFinished')).playback?.state).toBe('done');
    expect(await rejection(client.playbacks.get({ playbackId: 'ring-1' }))).toBe(JSON.stringify({ message: 'Playback not found' }));

    await client.channels.playWithId({ channelId: 'pb-1', playbackId: 'ring-2', media: 'tone:ring' });
    await client.channels.hangup({ channelId: 'pb-1' });
    expect((await rec.next((e) => e.type === 'PlaybackFinished' && e.playback?.id === 'ring-2', 'failed playback')).playback?.state).toBe('failed');

    await client.channels.create({ endpoint: 'PJSIP/+12025550115@trunk-main', app: APP, channelId: 'pb-down' });
    expect(await rejection(client.channels.play({ channelId: 'pb-down', media: 'sound:hello' }))).toBe(JSON.stringify({ message: 'Channel in invalid state' }));
    await client.channels.hangup({ channelId: 'pb-down' });
  });

  test("query and body parameters: %2B is '+', a bare '+' is a space, JSON bodies work", async () => {
    const encoded = await raw(sim.port, 'POST', `/ari/channels/create?endpoint=PJSIP/%2B12025550116@trunk-main&app=${APP}&channelId=q-1`);
    expect(encoded.status).toBe(200);
    const bare = await raw(sim.port, 'POST', `/ari/channels/create?endpoint=PJSIP/+12025550117@trunk-main&app=${APP}&channelId=q-2`);
    expect(bare.status).toBe(200);
    const viaBody = await raw(sim.port, 'POST', '/ari/channels/create', { body: JSON.stringify({ endpoint: 'PJSIP/+12025550118@trunk-main', app: APP, channelId: 'q-3' }) });
    expect(viaBody.status).toBe(200);
    const endpoints = Object.fromEntries(sim.channels().filter((c) => c.id.startsWith('q-')).map((c) => [c.id, c.endpoint]));
    expect(endpoints).toEqual({ 'q-1': 'PJSIP/+12025550116@trunk-main', 'q-2': 'PJSIP/ 12025550117@trunk-main', 'q-3': 'PJSIP/+12025550118@trunk-main' });
    expect((await raw(sim.port, 'POST', '/ari/channels/create', { body: '{nope' })).status).toBe(400);
    expect((await raw(sim.port, 'POST', `/ari/channels/q-1?endpoint=${encodeURIComponent(AGENT)}&app=${APP}`)).status).toBe(409);
    expect((await raw(sim.port, 'POST', `/ari/channels?app=${APP}`)).status).toBe(400);
    expect((await raw(sim.port, 'PUT', '/ari/channels')).status).toBe(405);
    expect((await raw(sim.port, 'GET', '/ari/nothing/here')).status).toBe(404);
    for (const id of ['q-1', 'q-2', 'q-3']) await client.channels.hangup({ channelId: id });
  });

  test('WebSocket drop: the call stays, gap events are lost, events resume after reconnecting', async () => {
    await client.channels.originateWithId({ channelId: 'wsd-1', endpoint: AGENT, app: APP, appArgs: 'agent,wsd', timeout: 20 });
    await rec.next(is('StasisStart', 'wsd-1'), 'StasisStart');
    const back = reconnected(client);
    sim.dropWebSockets();
    sim.farEndDtmf('wsd-1', '7'); // nobody is connected: lost, as with Asterisk
    const other = await connect(sim);
    expect((await other.channels.get({ channelId: 'wsd-1' })).state).toBe('Up');
    expect((await other.applications.get({ applicationName: APP })).channel_ids).toContain('wsd-1');
    await back; // ari-client reconnects by itself
    sim.farEndDtmf('wsd-1', '8');
    await rec.next(is('ChannelDtmfReceived', 'wsd-1', (e) => e.digit === '8'), 'DTMF after reconnect');
    expect(rec.about('wsd-1').filter((e) => e.type === 'ChannelDtmfReceived').map((e) => e.digit)).toEqual(['8']);
    expect(sim.events().filter((s: SentEvent) => s.event.type === 'ChannelDtmfReceived' && s.event.channel.id === 'wsd-1')).toHaveLength(1);
    await client.channels.hangup({ channelId: 'wsd-1' });
  });

  test('refuseConnections: 503 while on, normal again after', async () => {
    sim.refuseConnections(true);
    expect((await raw(sim.port, 'GET', '/ari/asterisk/info')).status).toBe(503);
    sim.refuseConnections(false);
    expect((await raw(sim.port, 'GET', '/ari/asterisk/info')).status).toBe(200);
  });

  test('restart: same port, everything forgotten, clients reconnect', async () => {
    await client.channels.create({ endpoint: 'PJSIP/+12025550119@trunk-main', app: APP, channelId: 'rs-1' });
    const port = sim.port;
    const back = reconnected(client);
    await sim.restart();
    expect(sim.port).toBe(port);
    expect(sim.channels()).toEqual([]);
    expect(sim.requests()).toEqual([]);
    await back;
    expect(await client.channels.list()).toEqual([]);
    await client.channels.originateWithId({ channelId: 'rs-2', endpoint: AGENT, app: APP, timeout: 20 });
    await rec.next(is('StasisStart', 'rs-2'), 'StasisStart after restart');
    await client.channels.hangup({ channelId: 'rs-2' });
  });
});

describe('ARI simulator timing and shutdown', () => {
  test('stasisLoopMs: addChannel answers after the loop; /dial answers at once but its INVITE waits', async () => {
    // Wide enough that a loaded CI machine cannot blur "at once" into "after the loop".
    const LOOP_MS = 300;
    const sim = await AriSimulator.start({ username: USER, password: PASS, ringMs: 20, stasisLoopMs: LOOP_MS });
    // Events are only logged once a socket took them.
    const socket = new WebSocket(`ws://127.0.0.1:${sim.port}/ari/events?app=${APP}&api_key=${USER}:${PASS}`);
    await new Promise((resolve) => socket.once('open', resolve));
    try {
      const post = (path: string): Promise<{ status: number; body: string }> => raw(sim.port, 'POST', `/ari${path}`);
      await post('/channels/create?endpoint=PJSIP/%2B12025550121@trunk-main&app=callbot&channelId=lp-1');
      await post('/channels/create?endpoint=PJSIP/%2B12025550122@trunk-main&app=callbot&channelId=lp-2');
      await post('/bridges/lp-br?type=mixing');
      let t0 = performance.now();
      expect((await post('/bridges/lp-br/addChannel?channel=lp-1')).status).toBe(204);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(LOOP_MS - 10);

      // lp-1 is bridged now, so its dial runs at once.
      t0 = performance.now();
      await post('/channels/lp-1/dial');
      const bridgedInvite = await sim.waitForEvent((s) => s.event.type === 'Dial' && s.event.peer.id === 'lp-1');
      expect(bridgedInvite.t - t0).toBeLessThan(LOOP_MS / 2);

      // lp-2 sits alone in Stasis: 204 at once, the INVITE (Dial "") on the next wake-up.
      t0 = performance.now();
      expect((await post('/channels/lp-2/dial')).status).toBe(204);
      const answeredAt = performance.now();
      const loneInvite = await sim.waitForEvent((s) => s.event.type === 'Dial' && s.event.peer.id === 'lp-2');
      expect(answeredAt - t0).toBeLessThan(LOOP_MS / 2);
      expect(loneInvite.t - t0).toBeGreaterThanOrEqual(LOOP_MS - 10);
    } finally {
      socket.terminate();
      await sim.stop();
    }
  });

  test('apps option: REST without a socket; events without a socket are not logged as sent', async () => {
    const sim = await AriSimulator.start({ username: USER, password: PASS, ringMs: 5, apps: [APP] });
    try {
      expect(JSON.parse((await raw(sim.port, 'GET', '/ari/applications')).body)).toEqual([{ name: APP, channel_ids: [], bridge_ids: [], endpoint_ids: [], device_names: [], events_allowed: [], events_disallowed: [] }]);
      expect((await raw(sim.port, 'POST', '/ari/channels/create?endpoint=PJSIP/1001&app=callbot&channelId=ns-1')).status).toBe(200);
      expect(sim.channels().map((c) => [c.id, c.name.replace(/-[0-9a-f]{8}$/, ''), c.inStasis])).toEqual([['ns-1', 'PJSIP/1001', true]]);
      expect(sim.events()).toEqual([]);
    } finally {
      await sim.stop();
    }
  });

  test('stop: the port is closed and nothing is left running', async () => {
    const sim = await AriSimulator.start({ username: USER, password: PASS, ringMs: 50 });
    const c = await connect(sim);
    await c.start(APP);
    await c.channels.originateWithId({ channelId: 'st-1', endpoint: 'PJSIP/+15551230480@trunk-main', app: APP, timeout: 30 });
    expect(sim.pendingTimers).toBeGreaterThan(0); // the far end rings, the originate timeout runs
    c.stop();
    await sim.stop();
    expect(sim.pendingTimers).toBe(0);
    await expect(raw(sim.port, 'GET', '/ari/asterisk/info')).rejects.toThrow('GET /ari/asterisk/info failed');
  });
});
