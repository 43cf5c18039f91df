import net from 'node:net';
import { PassThrough } from 'node:stream';
import { firstValueFrom, filter } from 'rxjs';
import WebSocket from 'ws';
import { createLogger, silentLogger } from '../../config/logger';
import { AriAdapter } from '../../ari/ari-adapter';
import { isChannelEvent } from '../../ari/ari-port';
import { AriSimulator } from '../support/ari-simulator';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/wait-for';


describe('ARI adapter', () => {
  let sim: AriSimulator;
  let adapter: AriAdapter | undefined;

  beforeEach(async () => {
    sim = await AriSimulator.start({ username: 'callbot', password: 'right-password', ringMs: 20 });
  });

  afterEach(async () => {
    await adapter?.close();
    await sim.stop();
  });

  const make = (password: string, logger = silentLogger()) => new AriAdapter({
    url: sim.url, username: 'callbot', password, app: 'callbot', logger, requestTimeoutMs: 500, reconnectMinMs: 50, reconnectMaxMs: 200,
  });

  /** A JSON-lines logger whose output the test can read. */
  function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<{ level: string; message: string } & Record<string, unknown>> } {
    const stream = new PassThrough();
    const written: string[] = [];
    stream.on('data', (chunk: Buffer) => written.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '')));
    return {
      logger: createLogger({ level: 'debug', format: 'json', secrets: ['right-password'], stream }),
      lines: () => written.map((l) => JSON.parse(l) as { level: string; message: string }),
    };
  }

  it('given wrong credentials, then it stays offline without crashing and never opens the event socket', async () => {
    adapter = make('wrong-password');
    await adapter.start();
    expect(adapter.isConnected()).toBe(false);
    await waitFor(() => sim.requests().filter((r) => r.path === '/ari/asterisk/info').length >= 3, { what: 'retries' });
    expect(sim.requests().some((r) => r.path === '/ari/events' || r.path.startsWith('/ari/api-docs'))).toBe(false);
    await expect(adapter.originate({ channelId: 'x', endpoint: 'PJSIP/1@trunk-main', app: 'callbot', appArgs: '', callerId: null, timeoutS: 5 }))
      .rejects.toThrow(/not connected/);
  });

  it('given Asterisk is not there yet, when it comes up, then the adapter connects by itself', async () => {
    const port = await freePort();
    adapter = new AriAdapter({
      url: `http://127.0.0.1:${port}`, username: 'callbot', password: 'right-password', app: 'callbot', logger: silentLogger(),
      requestTimeoutMs: 500, reconnectMinMs: 50, reconnectMaxMs: 200,
    });
    await adapter.start();
    expect(adapter.isConnected()).toBe(false);
    const late = await AriSimulator.start({ username: 'callbot', password: 'right-password', port });
    try {
      await firstValueFrom(adapter.connection.pipe(filter((s) => s === 'connected')));
      expect(adapter.isConnected()).toBe(true);
    } finally {
      await adapter.close();
      adapter = undefined;
      await late.stop();
    }
  });

  it('given a hangup of a channel that is already gone, then it counts as done (404 is not an error)', async () => {
    adapter = make('right-password');
    await adapter.start();
    await adapter.hangup('no-such-channel');
    await adapter.destroyBridge('no-such-bridge');
    await adapter.stopPlayback('no-such-playback');
    expect(await adapter.getChannel('no-such-channel')).toBeNull();
  });

  it('given an originate, then its events reach the one event stream in ARI order', async () => {
    adapter = make('right-password');
    await adapter.start();
    const seen: string[] = [];
    adapter.events.subscribe((e) => seen.push(`${e.type}:${isChannelEvent(e) ? e.channelId : ''}`));
    await adapter.originate({ channelId: 'leg-1', endpoint: 'PJSIP/+12025550486@trunk-main', app: 'callbot', appArgs: 'agent,c', callerId: '+12025550100', timeoutS: 5 });
    await waitFor(() => seen.includes('ChannelDestroyed:leg-1'), { what: 'the leg to end' });
    expect(seen[0]).toBe('Dial:leg-1');
    expect(seen.at(-1)).toBe('ChannelDestroyed:leg-1');
  });

  it('given a connection, then the credentials travel in the Authorization header, never in a URL', async () => {
    adapter = make('right-password');
    await adapter.start();
    await adapter.getChannel('no-such-channel');
    const upgrades = sim.requests().filter((r) => r.path === '/ari/events');
    expect(upgrades).toHaveLength(1);
    expect(sim.requests().every((r) => r.credentials === 'header')).toBe(true);
  });

  it('given an unreadable message on the event socket, then it is logged and skipped, and later events still arrive', async () => {
    const { logger, lines } = capturingLogger();
    adapter = make('right-password', logger);
    await adapter.start();
    const seen: string[] = [];
    adapter.events.subscribe((e) => seen.push(`${e.type}:${isChannelEvent(e) ? e.channelId : ''}`));
    for (const garbage of ['{"type": "StasisStart", "chan', '[1,2,3]', 'null', '\u0000\uFFFF']) expect(sim.sendRaw('callbot', garbage)).toBe(true);
    await adapter.originate({ channelId: 'after-garbage', endpoint: 'PJSIP/+12025550486@trunk-main', app: 'callbot', appArgs: 'agent,c', callerId: null, timeoutS: 5 });
    await waitFor(() => seen.includes('ChannelDestroyed:after-garbage'), { what: 'events after the garbage' });
    expect(adapter.isConnected()).toBe(true);
    expect(lines().filter((l) => l.message === 'ARI sent an unreadable event; ignored')).toHaveLength(4);
  });

  it('given another client takes over the Stasis app, then the adapter says so as an error', async () => {
    const { logger, lines } = capturingLogger();
    adapter = make('right-password', logger);
    await adapter.start();
    const intruder = new WebSocket(`${sim.url.replace(/^http/, 'ws')}/ari/events?app=callbot`, {
      headers: { authorization: `Basic ${Buffer.from('callbot:right-password').toString('base64')}` },
    });
    try {
      await new Promise((resolve, reject) => { intruder.once('open', resolve); intruder.once('error', reject); });
      await waitFor(() => lines().some((l) => l.level === 'error' && /took over the Stasis app/.test(l.message)), { what: 'the takeover to be reported' });
    } finally {
      intruder.terminate();
    }
  });

  it('given the event socket drops, then the adapter reports disconnected and reconnects by itself', async () => {
    adapter = make('right-password');
    await adapter.start();
    const states: string[] = [];
    adapter.connection.subscribe((s) => states.push(s));
    sim.dropWebSockets();
    await waitFor(() => states.includes('disconnected') && states.at(-1) === 'connected', { what: 'a reconnect' });
    expect(sim.requests().filter((r) => r.path === '/ari/events' && r.status === 101)).toHaveLength(2);
  });

  it('given two events in one read, when the first makes the engine send a request, then that request is written before the second event is handled', async () => {
    adapter = make('right-password');
    await adapter.start();
    const order: string[] = [];
    let hangup: Promise<void> | undefined;
    adapter.events.subscribe((e) => {
      if (!isChannelEvent(e)) return;
      order.push(`event ${e.channelId}`);
      if (e.channelId === 'first') hangup = adapter!.hangup('first');
    });
    const write = net.Socket.prototype.write;
    net.Socket.prototype.write = function tapped(this: net.Socket, chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk === 'string' && chunk.startsWith('DELETE /ari/channels/first ')) order.push('DELETE first written');
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof write;
    try {
      // Sent in one go, the two frames reach the adapter in one read.
      const start = (id: string) => JSON.stringify({ type: 'StasisStart', timestamp: '', application: 'callbot', args: [], channel: { id, state: 'Up' } });
      sim.sendRaw('callbot', start('first'));
      sim.sendRaw('callbot', start('second'));
      await waitFor(() => order.length >= 3, { what: 'both events and the request' });
    } finally {
      net.Socket.prototype.write = write;
    }
    expect(order).toEqual(['event first', 'DELETE first written', 'event second']);
    await hangup; // the simulator knows no channel "first": 404, which counts as done
  });
});
