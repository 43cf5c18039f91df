import { firstValueFrom, last, toArray } from 'rxjs';
import type { AriAdapter } from '../../ari/ari-adapter';
import type { CallUpdate } from '../../call/call-update';
import type { AriSimulator } from '../support/ari-simulator';
import { closeEngineOnSimulator, simulatedAri } from '../support/simulated-ari';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { waitFor } from '../support/wait-for';

/**
 * The engine through the real ARI adapter against the protocol-level ARI simulator:
 * real HTTP, real WebSocket, Asterisk 18.9's event order.
 */
describe('call engine on the ARI simulator through the ARI adapter', () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;

  async function setUp(env: Record<string, string> = {}, stasisLoopMs = 0) {
    ({ sim, ari } = await simulatedAri({ ringMs: 30, stasisLoopMs, reconnectMaxMs: 400 }));
    h = await startEngine(ari, { ARI_URL: sim.url, ...env });
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
  }

  afterEach(() => closeEngineOnSimulator(h, ari, sim));

  async function call(target: string, telegramId = '2001') {
    const result = await h.engine.placeCall({ agentTelegramId: telegramId, targetInput: target });
    if (!result.ok) throw new Error(`refused: ${result.refusal}`);
    return result;
  }

  const finalOf = (updates: ReturnType<typeof call> extends Promise<infer R> ? R : never) =>
    firstValueFrom(updates.updates.pipe(last()));

  /**
   * Connected and settled: both legs answered and in the bridge, and the engine has heard so (an
   * event still on its way when the socket drops is lost, as with a real Asterisk).
   */
  const bridged = () => waitFor(() => sim.bridges().some((b) => b.channels.length === 2
    && b.channels.every((id) => sim.channels().some((c) => c.id === id && c.state === 'Up')))
    && h.engine.liveCalls().every((c) => c.stage === 'connected'), { what: 'both legs answered and bridged' });

  /**
   * Dials of a target leg: the target's channel is made (never dialed) while the agent rings, so
   * "the customer is never dialed" means no dial request (and so no INVITE) for it.
   */
  const targetDials = () => sim.requests().filter((r) => r.method === 'POST' && /^\/ari\/channels\/[^/]+-target\/dial$/.test(r.path)).map((r) => r.path);

  const asteriskIsClean = () => waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'no channel or bridge left' });

  describe('outcomes', () => {
    beforeEach(() => setUp({ TARGET_RING_TIMEOUT_S: '1', AGENT_RING_TIMEOUT_S: '1' }));

    it.each([
      ['both answer and the customer hangs up', 'completed', '+12025550777'],
      ['the customer is busy', 'target_busy', '+12025550486'],
      ['the number does not exist', 'target_invalid_number', '+12025550404'],
      ['the provider is congested', 'target_unreachable', '+12025550503'],
      ['the customer never answers', 'target_no_answer', '+12025550480'],
    ])('given %s, then the outcome is %s and nothing is left in Asterisk', async (_what, outcome, target) => {
      await addAgent(h.stores);
      if (outcome === 'completed') sim.setFarEnd((e) => (e.includes(target) ? { kind: 'answer', ringMs: 20, hangupAfterMs: 200 } : undefined));
      const placed = await call(target);
      const final = await finalOf(placed);
      expect(final).toMatchObject({ final: true, outcome });
      await asteriskIsClean();
      // Rows are written in order but off the hot path: wait for the last write to land.
      const row = await waitFor(async () => {
        const r = await h.stores.calls.byId(placed.callId);
        return r?.stage === 'ended' ? r : null;
      });
      expect(row).toMatchObject({ outcome });
    });

    it.each([
      ['busy', 'agent_busy', { kind: 'busy' as const }],
      ['unreachable', 'agent_unreachable', { kind: 'unreachable' as const }],
      ['not answering', 'agent_no_answer', { kind: 'ring-forever' as const }],
    ])('given the agent phone is %s, then the outcome is %s and the customer is never dialed', async (_what, outcome, script) => {
      await addAgent(h.stores);
      sim.setFarEnd((e) => (e.includes('+15551230001') ? script : undefined));
      const placed = await call('+12025550123');
      expect(await finalOf(placed)).toMatchObject({ outcome });
      expect(targetDials()).toEqual([]);
      await asteriskIsClean();
    });

    it('given the agent answered, when they hang up while the customer rings, then the customer leg is cancelled at once', async () => {
      await addAgent(h.stores);
      sim.setFarEnd((e) => (e.includes('+12025550123') ? { kind: 'ring-forever' } : undefined));
      const placed = await call('+12025550123');
      const targetId = `${placed.callId}-target`;
      await waitFor(() => sim.channels().find((c) => c.id === targetId && c.state === 'Ringing'), { what: 'target ringing' });
      const hungUpAt = performance.now();
      sim.farEndHangup(`${placed.callId}-agent`);
      expect(await finalOf(placed)).toMatchObject({ outcome: 'agent_hung_up', endedBy: 'agent' });
      const deleted = await waitFor(() => sim.requests().find((r) => r.method === 'DELETE' && r.path === `/ari/channels/${targetId}`));
      expect(deleted.t - hungUpAt).toBeLessThan(500);
      await asteriskIsClean();
    });
  });

  describe('answer confirmation (AGENT_CONFIRM_DIGIT=1)', () => {
    beforeEach(() => setUp({ AGENT_CONFIRM_DIGIT: '1', AGENT_CONFIRM_TIMEOUT_S: '1' }));

    it('given the agent presses 1 after answering, then the customer is dialed and the call connects', async () => {
      await addAgent(h.stores);
      sim.setFarEnd((e) => (e.includes('+15551230001') ? { kind: 'answer', ringMs: 10, dtmf: { digit: '1', afterMs: 50 } } : { kind: 'answer', ringMs: 10, hangupAfterMs: 100 }));
      const placed = await call('+12025550123');
      expect(await finalOf(placed)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
      await asteriskIsClean();
    });

    it('given a voicemail picks up and nobody presses 1, then the call ends as not confirmed and the customer is never dialed', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      expect(await finalOf(placed)).toMatchObject({ outcome: 'agent_not_confirmed' });
      expect(targetDials()).toEqual([]);
      await asteriskIsClean();
    });
  });

  describe('cancel from outside', () => {
    beforeEach(() => setUp());

    it.each(['agent_ringing', 'target_ringing', 'connected'] as const)('given a call at %s, when cancelled, then both legs are gone and the bridge destroyed', async (stage) => {
      await addAgent(h.stores);
      sim.setFarEnd((e) => (stage === 'agent_ringing' || (stage === 'target_ringing' && e.includes('+12025550123')) ? { kind: 'ring-forever' } : { kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      const seen: CallUpdate[] = [];
      placed.updates.subscribe((u) => seen.push(u));
      await waitFor(() => seen.some((u) => u.stage === stage), { what: stage });
      h.engine.cancelCall(placed.callId, 'agent');
      expect(await finalOf(placed)).toMatchObject({ outcome: stage === 'connected' ? 'completed' : 'cancelled' });
      await asteriskIsClean();
    });
  });

  describe('reliability', () => {
    beforeEach(() => setUp());

    it('given a connected call, when the WebSocket drops and comes back, then the call carries on and still ends cleanly', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      const stages = firstValueFrom(placed.updates.pipe(toArray()));
      await bridged();
      sim.dropWebSockets();
      await waitFor(() => !ari.isConnected(), { what: 'disconnect noticed' });
      await waitFor(() => ari.isConnected(), { what: 'reconnected' });
      expect(h.engine.liveCalls()[0]?.stage).toBe('connected');
      sim.farEndHangup(`${placed.callId}-target`);
      expect((await stages).at(-1)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
      await asteriskIsClean();
    });

    it('given the WebSocket goes silent without closing, then the keepalive notices, reconnects, and the call carries on', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      await bridged();
      const sockets = () => sim.requests().filter((r) => r.path === '/ari/events').length;
      const before = sockets();
      sim.silenceWebSockets();
      await waitFor(() => !ari.isConnected(), { what: 'silence detected', timeoutMs: 4000 });
      await waitFor(() => ari.isConnected() && sockets() > before, { what: 'a new socket', timeoutMs: 4000 });
      sim.farEndHangup(`${placed.callId}-target`);
      expect(await finalOf(placed)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
      await asteriskIsClean();
    });

    it('given the customer hung up while the WebSocket was down, when it reconnects, then the lost event is made good by re-reading', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      await bridged();
      sim.refuseConnections(true);
      sim.dropWebSockets();
      await waitFor(() => !ari.isConnected(), { what: 'disconnect noticed' });
      sim.farEndHangup(`${placed.callId}-target`);
      sim.refuseConnections(false);
      expect(await finalOf(placed)).toMatchObject({ outcome: 'completed' });
      await asteriskIsClean();
    });

    it('given Asterisk restarts mid-call, then the call ends as ended-by-the-network and new calls work again', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      await bridged();
      await sim.restart();
      const final = await finalOf(placed);
      expect(final.final).toBe(true);
      await waitFor(async () => (await h.stores.calls.liveCalls()).length === 0, { what: 'no live row' });
      await waitFor(() => ari.isConnected(), { what: 'reconnected' });
      // The customer hangs up a while after answering; the agent stays (had the agent's phone hung up
      // too, which one the engine heard first would decide the outcome).
      sim.setFarEnd((endpoint) => (endpoint.includes('+12025550777') ? { kind: 'answer', ringMs: 10, hangupAfterMs: 50 } : { kind: 'answer', ringMs: 10 }));
      const again = await call('+12025550777');
      expect(await finalOf(again)).toMatchObject({ outcome: 'completed' });
    });

    it('given ARI starts refusing requests mid-call, then the call fails cleanly and is cleaned up once ARI is back', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      sim.refuseConnections(true);
      const final = await finalOf(placed);
      expect(final).toMatchObject({ final: true, outcome: 'failed' });
      sim.refuseConnections(false);
      await waitFor(() => ari.isConnected(), { what: 'reconnected', timeoutMs: 5000 });
      await asteriskIsClean();
    });
  });

  describe('request timeouts', () => {
    // Asterisk 18.9 answers addChannel only on the channel's next 200 ms media tick; here 3 s.
    beforeEach(() => setUp({}, 3000));

    it('given an ARI request that does not answer in time, then the call ends as failed and both legs are hung up', async () => {
      await addAgent(h.stores);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 10 }));
      const placed = await call('+12025550123');
      const final = await finalOf(placed);
      expect(final).toMatchObject({ outcome: 'failed', failure: { kind: 'request', request: 'add to bridge', error: expect.stringMatching(/no answer within 1000 ms/) } });
      await asteriskIsClean();
    });
  });

  describe('load', () => {
    beforeEach(() => setUp({ MAX_CONCURRENT_CALLS: '100' }));

    it('given 50 agents calling at once, then all 50 connect, each in its own bridge, and end cleanly', async () => {
      const agents = Array.from({ length: 50 }, (_, i) => String(3000 + i));
      for (const id of agents) await addAgent(h.stores, id);
      sim.setFarEnd(() => ({ kind: 'answer', ringMs: 20 }));
      const placed = await Promise.all(agents.map((id, i) => call(`+1202555${String(1000 + i).padStart(4, '0')}`, id)));
      await waitFor(() => h.engine.liveCalls().filter((c) => c.stage === 'connected').length === 50, { what: '50 connected calls' });
      await waitFor(() => sim.bridges().filter((b) => b.channels.length === 2).length === 50, { what: '50 bridges of two legs' });
      for (const p of placed) sim.farEndHangup(`${p.callId}-target`);
      const finals = await Promise.all(placed.map(finalOf));
      expect(finals.map((f) => f.outcome)).toEqual(Array(50).fill('completed'));
      await asteriskIsClean();
      await waitFor(async () => (await h.stores.calls.liveCalls()).length === 0, { what: 'no live row' });
    });
  });
});
