import type { AriAdapter } from '../../ari/ari-adapter';
import type { CallEvent } from '../../call/call-machine';
import type { PartyPlan } from '../../call/call-types';
import type { AriSimulator } from '../support/ari-simulator';
import { closeEngineOnSimulator, simulatedAri } from '../support/simulated-ari';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { waitFor } from '../support/wait-for';

type PartyEvent = Extract<CallEvent, { type: 'TransferRequested' | 'AddPartyRequested' | 'ConsultFinished' }>;
type Untimed<T> = T extends unknown ? Omit<T, 'at'> : never;

/**
 * Transfer, consultation and conference through the engine, the real ARI adapter and the ARI
 * simulator: the requests the machine asks for leave the channels where they should be, and
 * nothing behind.
 */
describe('calls of more than two parties on the ARI simulator', () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;
  let callId: string;
  /** Variables a describe block sets (in its beforeAll, which runs before this beforeEach) for its engine. */
  let env: Record<string, string> = {};

  beforeEach(async () => {
    ({ sim, ari } = await simulatedAri({ ringMs: 30, stasisLoopMs: 0, reconnectMaxMs: 400 }));
    h = await startEngine(ari, { ARI_URL: sim.url, ...env });
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
    await addAgent(h.stores);
    const placed = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    callId = placed.callId;
    await waitFor(() => h.engine.callState(callId)?.stage === 'connected', { what: 'the call connected' });
    await waitFor(() => members(`${callId}-bridge`).length === 2, { what: 'agent and customer bridged' });
  });

  afterEach(() => closeEngineOnSimulator(h, ari, sim));

  const party = (): PartyPlan => {
    const { targetEndpoint } = h.engine.callState(callId)!.plan;
    return {
      target: { kind: 'number', number: '+12025550199' }, label: '+12025550199',
      endpoint: targetEndpoint.replace('+12025550123', '+12025550199'), callerId: '+15550001111', ringTimeoutS: 5,
    };
  };
  const send = (event: Untimed<PartyEvent>) => expect(h.engine.sendPartyEvent(callId, { ...event, at: Date.now() } as PartyEvent)).toBe(true);
  const members = (bridgeId: string) => sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort() ?? [];
  /** Up in Asterisk and in the call's machine (which decides what a request may do). */
  const up = (channelId: string) => sim.channels().some((c) => c.id === channelId && c.state === 'Up')
    && h.engine.callState(callId)?.legs.find((l) => l.channelId === channelId)?.status === 'up';
  const gone = (id: string) => !sim.channels().some((c) => c.id === id) && !sim.bridges().some((b) => b.id === id);
  const ids = () => ({ agent: `${callId}-agent`, customer: `${callId}-target`, p3: `${callId}-p3`, main: `${callId}-bridge`, consult: `${callId}-consult` });

  async function hangUpAndExpectNothingLeft(): Promise<void> {
    h.engine.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'no channel or bridge left' });
  }

  it('given a connected call, when it is transferred cold to a number that answers, then the agent leaves and the customer talks with the number', async () => {
    const { agent, customer, p3, main } = ids();
    send({ type: 'TransferRequested', mode: 'cold', party: party(), by: '2001' });
    await waitFor(() => gone(agent) && up(p3) && members(main).join() === [customer, p3].sort().join(), { what: 'customer and p3 bridged, agent gone' });
    const created = sim.requests().find((r) => r.method === 'POST' && r.path === '/ari/channels/create' && r.query['channelId'] === p3);
    expect(created?.body?.['variables']).toContain('+15550001111');
    expect(h.engine.callState(callId)?.owner).toEqual({ agentId: expect.any(Number), legId: null });
    await hangUpAndExpectNothingLeft();
  });

  it('given a consultation answered, when it is completed, then the customer is off hold with the consulted party and the agent and the consult bridge are gone', async () => {
    const { agent, customer, p3, main, consult } = ids();
    send({ type: 'TransferRequested', mode: 'warm', party: party(), by: '2001' });
    await waitFor(() => up(p3) && members(consult).join() === [agent, p3].sort().join() && members(main).join() === customer, { what: 'agent and p3 consulting, customer alone in main' });
    // The customer waits with music, of the configured class.
    expect(sim.requests().some((r) => r.method === 'POST' && r.path === `/ari/bridges/${main}/moh` && r.query['mohClass'] === 'default')).toBe(true);
    send({ type: 'ConsultFinished', how: 'complete', by: '2001' });
    await waitFor(() => gone(agent) && gone(consult) && members(main).join() === [customer, p3].sort().join(), { what: 'customer and p3 bridged' });
    await hangUpAndExpectNothingLeft();
  });

  it('given a consultation answered, when the agent goes back, then the consulted party is hung up and the agent is with the customer again', async () => {
    const { agent, customer, p3, main, consult } = ids();
    send({ type: 'TransferRequested', mode: 'warm', party: party(), by: '2001' });
    await waitFor(() => up(p3) && members(consult).length === 2, { what: 'consulting' });
    send({ type: 'ConsultFinished', how: 'back', by: '2001' });
    await waitFor(() => gone(p3) && gone(consult) && members(main).join() === [agent, customer].sort().join(), { what: 'agent and customer bridged again' });
    await hangUpAndExpectNothingLeft();
  });

  it('given a conference of three, when the added party hangs up, then agent and customer go on, and the call ends clean', async () => {
    const { agent, customer, p3, main } = ids();
    send({ type: 'AddPartyRequested', party: party(), by: '2001' });
    await waitFor(() => up(p3) && members(main).length === 3, { what: 'three in the bridge' });
    sim.farEndHangup(p3);
    await waitFor(() => gone(p3) && members(main).join() === [agent, customer].sort().join(), { what: 'agent and customer left' });
    expect(h.engine.callState(callId)?.stage).toBe('connected');
    await hangUpAndExpectNothingLeft();
  });

  describe('with HOLD_SOUND=tone', () => {
    beforeAll(() => {
      env = { HOLD_SOUND: 'tone' };
    });
    afterAll(() => {
      env = {};
    });

    const holdTone = () => sim.requests().filter((r) => r.path === `/ari/bridges/${ids().main}/play` || r.path === `/ari/playbacks/${callId}-hold`);
    const consulting = async () => {
      const { agent, customer, p3, main, consult } = ids();
      send({ type: 'TransferRequested', mode: 'warm', party: party(), by: '2001' });
      await waitFor(() => up(p3) && members(consult).join() === [agent, p3].sort().join() && members(main).join() === customer, { what: 'agent and p3 consulting, customer alone in main' });
      // The customer waits with the hold tone played to the main bridge, and no music is asked for.
      expect(holdTone().map((r) => [r.method, r.query['media'] ?? null, r.query['playbackId'] ?? null])).toEqual([['POST', 'tone:callwaiting', `${callId}-hold`]]);
      expect(sim.requests().some((r) => r.path.endsWith('/moh'))).toBe(false);
    };
    const toneStopped = () => holdTone().some((r) => r.method === 'DELETE');

    it('given a consultation answered, when it is completed, then the hold tone stops and the customer is with the consulted party', async () => {
      const { agent, customer, p3, main, consult } = ids();
      await consulting();
      send({ type: 'ConsultFinished', how: 'complete', by: '2001' });
      await waitFor(() => toneStopped() && gone(agent) && gone(consult) && members(main).join() === [customer, p3].sort().join(), { what: 'tone stopped, customer and p3 bridged' });
      await hangUpAndExpectNothingLeft();
    });

    it('given a consultation answered, when the agent goes back, then the hold tone stops and the agent is with the customer again', async () => {
      const { agent, customer, p3, main, consult } = ids();
      await consulting();
      send({ type: 'ConsultFinished', how: 'back', by: '2001' });
      await waitFor(() => toneStopped() && gone(p3) && gone(consult) && members(main).join() === [agent, customer].sort().join(), { what: 'tone stopped, agent and customer bridged again' });
      await hangUpAndExpectNothingLeft();
    });
  });

  it('given a call that does not run here, then a party event is not taken', () => {
    expect(h.engine.sendPartyEvent('no-such-call', { type: 'ConsultFinished', how: 'back', by: '2001', at: Date.now() })).toBe(false);
  });
});
