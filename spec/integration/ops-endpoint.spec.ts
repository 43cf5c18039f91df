import { Observable, firstValueFrom, last } from 'rxjs';
import { Operations } from '../../ops/operations';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import type { AriAdapter } from '../../ari/ari-adapter';
import type { AriSimulator } from '../support/ari-simulator';
import { simulatedAri } from '../support/simulated-ari';
import { TEST_ENV, addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/wait-for';

/** A Bot API that answers every request at once, so Telegram counts as reachable. */
const telegramUp: typeof fetch = async () => new Response('{"ok":true,"result":[]}', { status: 200, headers: { 'Content-Type': 'application/json' } });

/**
 * The operators' endpoint of an engine on the ARI simulator through the real adapter: what
 * /healthz, /readyz and /metrics answer while calls are placed and ARI comes and goes.
 */
describe('operators\' endpoint', () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;
  let ops: Operations;
  let base: string;

  beforeEach(async () => {
    ({ sim, ari } = await simulatedAri({ ringMs: 20 }));
    const port = await freePort();
    const config = loadConfig({ ...TEST_ENV, ARI_URL: sim.url, METRICS_PORT: String(port) });
    ops = new Operations(config.metrics, silentLogger(), { processMetrics: false, fetch: telegramUp });
    h = await startEngine(ari, { ARI_URL: sim.url }, { hooks: (calls) => ops.engineHooks(calls) });
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
    await ops.start({ database: h.dataSource, ari, engine: h.engine, outbox: { pending: 0 } });
    base = `http://127.0.0.1:${port}`;
    // What the bot's first long poll would do: Telegram has answered once.
    await ops.telegram.fetch('http://127.0.0.1/bot1:x/getUpdates');
  });

  afterEach(async () => {
    for (const call of h.engine.liveCalls()) h.engine.cancelCall(call.context.callId, 'system');
    await h.engine.settled();
    await ops.stop();
    await h.close();
    await ari.close();
    await sim.stop();
  });

  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`${base}${path}`, { method });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };
  const readyz = async () => {
    const res = await get('/readyz');
    return { status: res.status, body: JSON.parse(res.body) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> } };
  };
  const metric = async (series: string): Promise<number | undefined> => {
    const line = (await get('/metrics')).body.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('given the process is up, then /healthz answers 200', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('given an unknown path, then 404; given a POST to a known one, then 405', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/metrics/extra')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });

  it('given no METRICS_HOST, then it listens on 127.0.0.1 only', () => {
    expect(ops.address).toMatchObject({ address: '127.0.0.1' });
  });

  it('given the database, ARI and Telegram are there, then /readyz answers 200 naming each', async () => {
    expect(await readyz()).toEqual({
      status: 200,
      body: {
        ready: true,
        checks: { database: { ok: true, detail: 'reachable' }, ari: { ok: true, detail: 'connected' }, telegram: { ok: true, detail: 'reachable' } },
      },
    });
  });

  it('given ARI goes away, then /readyz answers 503 naming ARI; once it reconnects, 200 again and the reconnect is counted', async () => {
    expect(await metric('callbot_ari_connected')).toBe(1);
    sim.refuseConnections(true);
    sim.dropWebSockets();
    await waitFor(() => !ari.isConnected(), { what: 'ARI disconnected' });
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.checks['ari']).toEqual({ ok: false, detail: 'not connected' });
    expect(down.body.checks['database']?.ok).toBe(true);
    expect(await metric('callbot_ari_connected')).toBe(0);

    sim.refuseConnections(false);
    await waitFor(() => ari.isConnected(), { what: 'ARI reconnected' });
    expect((await readyz()).status).toBe(200);
    expect(await metric('callbot_ari_connected')).toBe(1);
    expect(await metric('callbot_ari_reconnects_total')).toBe(1);
  });

  it('given a placed call that completes, then /metrics counts it by route and outcome and times both legs\' set-up and its row writes', async () => {
    await addAgent(h.stores);
    sim.setFarEnd((e) => (e.includes('+12025550123') ? { kind: 'answer', ringMs: 20, hangupAfterMs: 200 } : undefined));
    const placed = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    await waitFor(() => h.engine.liveCall(placed.callId)?.stage === 'connected', { what: 'call connected' });
    expect(await metric('callbot_live_calls')).toBe(1);

    expect(await firstValueFrom(placed.updates.pipe(last()))).toMatchObject({ outcome: 'completed' });
    await h.engine.settled();
    expect(await metric('callbot_calls_total{route="M",outcome="completed"}')).toBe(1);
    expect(await metric('callbot_live_calls')).toBe(0);
    expect(await metric('callbot_call_agent_originate_seconds_count{route="M"}')).toBe(1);
    expect(await metric('callbot_call_target_dial_seconds_count{route="M"}')).toBe(1);
    expect(await metric('callbot_db_write_seconds_count{write="call_request",result="ok"}')).toBe(1);
    expect(await metric('callbot_db_write_seconds_count{write="call_transition",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('callbot_telegram_requests_total{method="getUpdates",result="ok"}')).toBe(1);
    expect(await metric('callbot_telegram_outbox_depth')).toBe(0);
    expect((await get('/metrics')).type).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('operators\' endpoint, not configured', () => {
  it('given no METRICS_PORT, then nothing listens and nothing is hooked into the engine or the bot', async () => {
    const config = loadConfig(TEST_ENV);
    const ops = new Operations(config.metrics, silentLogger());
    const calls = {
      recordCallRequest: async () => undefined, recordCallTransition: async () => undefined, liveCalls: async () => [],
      latestPlacedCallOfAgent: async () => null, placingAlone: <T>(step: () => Promise<T>) => step(),
    };
    expect(ops.engineHooks(calls)).toEqual({ calls });
    expect(ops.telegramFetch).toBeUndefined();
    let subscriptions = 0;
    const watched = new Observable<never>(() => { subscriptions += 1; });
    await ops.start({
      database: { query: async () => [] }, ari: { isConnected: () => true, connection: watched },
      engine: { updates: watched, liveCalls: () => [] }, outbox: { pending: 0 },
    });
    expect(ops.address).toBeUndefined();
    expect(subscriptions).toBe(0);
    await ops.stop();
  });
});
