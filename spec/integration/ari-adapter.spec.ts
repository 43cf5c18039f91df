import net from 'node:net';
import { firstValueFrom, filter } from 'rxjs';
import { silentLogger } from '../../config/logger';
import { AriClientAdapter } from '../../stasis/ari-client-adapter';
import { AriSimulator } from '../support/ari-simulator';
import { waitFor } from '../support/wait-for';

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('ari-client adapter', () => {
  let sim: AriSimulator;
  let adapter: AriClientAdapter | undefined;

  beforeEach(async () => {
    sim = await AriSimulator.start({ username: 'callbot', password: 'right-password', ringMs: 20 });
  });

  afterEach(async () => {
    await adapter?.close();
    await sim.stop();
  });

  const make = (password: string) => new AriClientAdapter({
    url: sim.url, username: 'callbot', password, app: 'callbot', logger: silentLogger(), requestTimeoutMs: 500, reconnectMinMs: 50, reconnectMaxMs: 200,
  });

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
    adapter = new AriClientAdapter({
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
    adapter.events.subscribe((e) => seen.push(`${e.type}:${e.channelId}`));
    await adapter.originate({ channelId: 'leg-1', endpoint: 'PJSIP/+12025550486@trunk-main', app: 'callbot', appArgs: 'agent,c', callerId: '+12025550100', timeoutS: 5 });
    await waitFor(() => seen.includes('ChannelDestroyed:leg-1'), { what: 'the leg to end' });
    expect(seen[0]).toBe('Dial:leg-1');
    expect(seen.at(-1)).toBe('ChannelDestroyed:leg-1');
  });
});
