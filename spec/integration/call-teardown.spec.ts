import { firstValueFrom, last } from 'rxjs';
import type { AriAdapter } from '../../ari/ari-adapter';
import type { CallPatch } from '../../store/call-store';
import type { TeardownRetryPolicy } from '../../engine/teardown-retry';
import type { AriSimulator } from '../support/ari-simulator';
import { closeEngineOnSimulator, simulatedAri } from '../support/simulated-ari';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';

/** Quick enough for a spec; the shape (doubling, capped, bounded) is the product's. */
const FAST_RETRY: TeardownRetryPolicy = { firstDelayMs: 20, maxDelayMs: 200, giveUpAfterMs: 3_000 };
const ORPHAN = '0b5ad9c3-1111-4222-8333-944445555666';

async function place(h: EngineHarness, target = '202-555-0123', telegramId = '2001') {
  const result = await h.engine.placeCall({ agentTelegramId: telegramId, targetInput: target, telegramChatId: telegramId });
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  return result;
}

describe('teardown on an in-memory ARI', () => {
  let ari: FakeAri;
  let h: EngineHarness;

  afterEach(() => h.close());

  async function setUp(env: Record<string, string> = {}, retry = FAST_RETRY) {
    ari = new FakeAri();
    h = await startEngine(ari, env, { teardownRetry: retry });
    await h.engine.start();
    await addAgent(h.stores);
  }

  const sent = (op: string) => ari.requests.filter((r) => r.op === op);

  it.each([
    ['a hang-up', 'hangup'],
    ['a bridge destroy', 'destroyBridge'],
  ])('given %s answered 500 twice, when the call ends, then it is sent again until Asterisk confirms it', async (_what, op) => {
    await setUp();
    const call = await place(h);
    ari.failNext(op, 'Internal Server Error', 500, 2);
    h.engine.cancelCall(call.callId, 'agent');
    await h.engine.settled();
    expect(ari.channels.size).toBe(0);
    expect(ari.bridges.size).toBe(0);
    // Two legs are hung up: the first try of one of them failed twice, so it went out three times.
    expect(sent(op).length).toBe(op === 'hangup' ? 4 : 3);
  });

  it('given a hang-up answered 404, then it counts as done and is not sent again', async () => {
    await setUp();
    const call = await place(h);
    ari.failNext('hangup', 'Channel not found', 404);
    h.engine.cancelCall(call.callId, 'agent');
    await h.engine.settled();
    expect(sent('hangup').length).toBe(2);
  });

  it('given a teardown that keeps failing past its time, then it gives up and the next orphan sweep cleans up', async () => {
    await setUp({ ORPHAN_SWEEP_INTERVAL_S: '1' }, { firstDelayMs: 20, maxDelayMs: 50, giveUpAfterMs: 200 });
    const call = await place(h);
    ari.failNext('destroyBridge', 'Internal Server Error', 500, 1_000);
    h.engine.cancelCall(call.callId, 'agent');
    await h.engine.settled();
    expect(ari.bridges.has(`${call.callId}-bridge`)).toBe(true);
    const tries = sent('destroyBridge').length;
    expect(tries).toBeGreaterThan(2);
    ari.failNext('destroyBridge', 'Internal Server Error', 500, 0);
    await waitFor(() => !ari.bridges.has(`${call.callId}-bridge`), { what: 'the periodic sweep destroying the bridge', timeoutMs: 3_000 });
    expect(h.engine.sweepCounts()).toMatchObject({ bridges: 1 });
  });

  it('given a channel of ours appears that no call owns, then the periodic sweep hangs it up without a reconnect', async () => {
    await setUp({ ORPHAN_SWEEP_INTERVAL_S: '1' });
    ari.channels.set(`${ORPHAN}-target`, { id: `${ORPHAN}-target`, state: 'Down', appName: 'Stasis', appData: `callbot,target,${ORPHAN}` });
    ari.channels.set('someone-else', { id: 'someone-else', state: 'Up', appName: 'Dial', appData: '' });
    await waitFor(() => !ari.channels.has(`${ORPHAN}-target`), { what: 'the periodic sweep', timeoutMs: 3_000 });
    expect(ari.channels.has('someone-else')).toBe(true);
    expect(h.engine.sweepCounts()).toMatchObject({ channels: 1, bridges: 0, failed: 0 });
    expect(h.engine.sweepCounts().sweeps).toBeGreaterThanOrEqual(1);
  });
});

describe('teardown on the ARI simulator with injected faults', () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;

  beforeEach(async () => {
    ({ sim, ari } = await simulatedAri({ ringMs: 30 }));
    // No periodic sweep within the spec: what is cleaned up, the calls' own teardown cleaned.
    h = await startEngine(ari, { ARI_URL: sim.url, AGENT_RING_TIMEOUT_S: '2', TARGET_RING_TIMEOUT_S: '2', ORPHAN_SWEEP_INTERVAL_S: '3600' }, { teardownRetry: FAST_RETRY });
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
  });

  afterEach(async () => {
    sim.clearFaults();
    await closeEngineOnSimulator(h, ari, sim);
  });

  /** What a client reading Asterisk over HTTP sees: GET /ari/<what>. */
  async function listed(what: 'channels' | 'bridges'): Promise<unknown[]> {
    const res = await fetch(`${sim.url}/ari/${what}`, { headers: { authorization: `Basic ${Buffer.from('callbot:test-password').toString('base64')}` } });
    return (await res.json()) as unknown[];
  }

  /** Every write that ends a call, per call id. */
  function countEndings(): Map<string, number> {
    const endings = new Map<string, number>();
    const record = h.stores.calls.recordCallTransition.bind(h.stores.calls);
    jest.spyOn(h.stores.calls, 'recordCallTransition').mockImplementation((id: string, patch: CallPatch) => {
      if (patch.stage === 'ended') endings.set(id, (endings.get(id) ?? 0) + 1);
      return record(id, patch);
    });
    return endings;
  }

  it('given 30 % of POST and DELETE requests answered 500 while 8 calls run, when the faults stop, then Asterisk is left empty and every call ended once with its reason', async () => {
    // Customers answer and hang up 300 ms later, so every call that got through also ends by itself.
    sim.setFarEnd((endpoint) => (endpoint.includes('+1202555') ? { kind: 'answer', ringMs: 20, hangupAfterMs: 300 } : undefined));
    const agents = Array.from({ length: 8 }, (_, i) => String(3001 + i));
    for (const id of agents) await addAgent(h.stores, id);
    const endings = countEndings();
    sim.injectFaults([{ share: 0.3 }], 7);

    const calls = await Promise.all(agents.map((id, i) => place(h, `+1202555${String(1000 + i)}`, id)));
    await Promise.all(calls.map((c) => firstValueFrom(c.updates.pipe(last()))));
    // The faults stop once the teardown itself has been hit.
    await waitFor(() => sim.injectedFaults().some((f) => f.method === 'DELETE'), { what: 'a teardown request answered 500' });
    sim.clearFaults();
    await waitFor(async () => (await listed('channels')).length === 0 && (await listed('bridges')).length === 0,
      { what: 'GET /channels and GET /bridges both empty', timeoutMs: 5_000, everyMs: 50 });

    await h.engine.settled();
    for (const call of calls) {
      const row = await h.stores.calls.byId(call.callId);
      expect(row?.stage).toBe('ended');
      if (row?.outcome === 'failed') expect(row.detail).toMatch(/: Internal Server Error$/);
      expect(endings.get(call.callId)).toBe(1);
    }
  });

  it('given ARI goes away while a call is torn down, when it is back, then the teardown finishes without a sweep', async () => {
    await addAgent(h.stores);
    const call = await place(h);
    await waitFor(() => sim.bridges().some((b) => b.channels.length === 2
      && b.channels.every((id) => sim.channels().some((c) => c.id === id && c.state === 'Up'))), { what: 'both legs answered and bridged' });
    sim.refuseConnections(true);
    sim.dropWebSockets();
    await waitFor(() => !ari.isConnected(), { what: 'ARI disconnected' });
    let hangupsFailed = 0;
    const hangup = ari.hangup.bind(ari);
    jest.spyOn(ari, 'hangup').mockImplementation(async (channelId) => {
      try {
        return await hangup(channelId);
      } catch (err) {
        hangupsFailed += 1;
        throw err;
      }
    });
    h.engine.cancelCall(call.callId, 'agent');
    await waitFor(() => hangupsFailed >= 2, { what: 'the teardown tried while ARI is away' });
    expect(sim.channels().length).toBe(2);
    sim.refuseConnections(false);
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'channels and bridge gone after the reconnect', timeoutMs: 3_000 });
    expect(h.engine.sweepCounts()).toMatchObject({ channels: 0, bridges: 0 });
  });
});
