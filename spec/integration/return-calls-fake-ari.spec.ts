import { firstValueFrom } from 'rxjs';
import type { LiveCallView } from '../../engine/call-engine';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';

const POOL_NUMBER = '+15550001111';
const CUSTOMER = '+12025550123';
const SETTINGS = { windowDays: 30, ringTimeoutS: 20, missedMessage: 'sound:vm-nobodyavail', missedMessageTimeoutS: 15 };

describe('return calls on an in-memory ARI (a customer calls a pool number back)', () => {
  let ari: FakeAri;
  let h: EngineHarness;
  let ann: number;
  let bob: number;

  beforeEach(() => setUp());

  async function setUp(options: Omit<Parameters<typeof startEngine>[2], 'returnCalls'> = {}, settings: typeof SETTINGS & { agentAnnouncement?: 'tone' | 'digits' } = SETTINGS): Promise<void> {
    ari = new FakeAri();
    h = await startEngine(ari, {}, { returnCalls: settings, ...options });
    await h.engine.start();
    ann = (await addAgent(h.stores, '2001')).id;
    await h.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', callerId: POOL_NUMBER, by: '1000', displayName: 'Bob Agent' });
    await h.stores.agents.setRoute('2002', 'M');
    bob = (await h.stores.agents.byTelegramId('2002'))!.id;
    await h.stores.callerIds.add(POOL_NUMBER, 'M', '1000');
  }

  afterEach(() => h.close());

  const send = (event: Parameters<FakeAri['emit']>[0]) => ari.deliver(event);

  /** Ann called the customer from the pool number an hour ago. */
  async function annCalledThem(): Promise<void> {
    const at = new Date(Date.now() - 3600_000);
    await h.stores.calls.recordCallRequest({
      id: '11111111-1111-4111-8111-111111111111', agentId: ann, targetInput: CUSTOMER, target: CUSTOMER, callerId: POOL_NUMBER, route: 'M',
      stage: 'ended', outcome: 'completed', requestedAt: at, endedAt: at, disposition: 'callback', note: 'wants a quote',
    });
  }

  /** The customer's INVITE reached Asterisk, which put its channel into the app (asterisk/extensions.conf). */
  async function customerCalls(called = POOL_NUMBER, channelId = 'in-1'): Promise<void> {
    ari.channels.set(channelId, { id: channelId, state: 'Ring', appName: 'Stasis', appData: `callbot,inbound,${called}` });
    await send({ type: 'StasisStart', channelId, channelState: 'Ring', args: ['inbound', called.replace('+', '')], callerNumber: CUSTOMER });
  }

  const originates = () => ari.commandRequests().filter((r) => r.op === 'originate').map((r) => r.args['endpoint']);

  /** Ann called them; they call back; Ann's phone rings. Returns the return call's id. */
  async function annRung(): Promise<string> {
    await annCalledThem();
    const started = firstValueFrom(h.engine.returnCalls);
    await customerCalls();
    const { context: { callId } } = await started;
    await waitFor(() => originates().length === 1, { what: 'Ann\'s phone rung' });
    return callId;
  }

  /** The rung agent's phone answers: its channel enters the app; the call connects. */
  async function agentAnswers(callId: string, what = 'connected'): Promise<void> {
    await send({ type: 'StasisStart', channelId: `${callId}-agent`, channelState: 'Up', args: ['agent', callId] });
    await waitFor(() => h.engine.liveCall(callId)?.stage === 'connected', { what });
  }

  /** Ann's phone answers 486: Bob, who called them too, is rung next. */
  async function annBusyBobRung(callId: string): Promise<void> {
    ari.channels.delete(`${callId}-agent`);
    await send({ type: 'ChannelDestroyed', channelId: `${callId}-agent`, cause: 17, causeText: 'User busy' });
    await waitFor(() => originates().length === 2, { what: 'Bob\'s phone rung' });
  }

  it('given Ann called the customer from the pool number, when they call it back, then it rings while Ann\'s phone rings, and her answer joins them', async () => {
    await annCalledThem();
    const started = firstValueFrom(h.engine.returnCalls);
    await customerCalls();
    const view: LiveCallView = await started;
    await waitFor(() => originates().length === 1, { what: 'Ann\'s phone rung' });
    expect(originates()).toEqual(['PJSIP/+15551230001@trunk-main']);
    expect(ari.commands().slice(0, 3)).toEqual(['ring', 'createBridge', 'originate']);
    expect(ari.commands()).not.toContain('answer');
    expect(view.context).toMatchObject({ agentId: ann, target: CUSTOMER, callerId: POOL_NUMBER, returnCall: { lastCall: { disposition: 'callback', note: 'wants a quote' } } });
    const { callId } = view.context;
    await h.engine.writesSettled();
    expect(await h.stores.calls.byId(callId)).toMatchObject({ direction: 'inbound', returnsCallId: '11111111-1111-4111-8111-111111111111', target: CUSTOMER, stage: 'agent_dialing' });

    await send({ type: 'ChannelStateChange', channelId: `${callId}-agent`, channelState: 'Up' });
    await send({ type: 'StasisStart', channelId: `${callId}-agent`, channelState: 'Up', args: ['agent', callId] });
    await waitFor(() => ari.bridges.get(`${callId}-bridge`)?.channelIds.length === 2, { what: 'both in the bridge' });
    expect(ari.channels.get('in-1')?.state).toBe('Up');
    expect(h.engine.liveCall(callId)?.stage).toBe('connected');

    await send({ type: 'ChannelDestroyed', channelId: 'in-1', cause: 16, causeText: 'Normal Clearing' });
    await h.engine.settled();
    expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target' });
    expect(ari.channels.has(`${callId}-agent`)).toBe(false);
    expect(ari.bridges.size).toBe(0);
  });

  it('given the call is connected, when the customer hangs up, then its hangup request and StasisEnd end the call (a real Asterisk sends the inbound channel\'s ChannelDestroyed to no app)', async () => {
    const callId = await annRung();
    await agentAnswers(callId);
    ari.channels.delete('in-1');
    await send({ type: 'ChannelHangupRequest', channelId: 'in-1', cause: 16, soft: false });
    await send({ type: 'StasisEnd', channelId: 'in-1' });
    await h.engine.settled();
    expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target', hangupCause: 16 });
    expect(ari.channels.has(`${callId}-agent`)).toBe(false);
    expect(h.engine.callsInFlight()).toBe(0);
  });

  it('given Ann is busy (her phone answers 486), then Bob is rung next and takes the call', async () => {
    const callId = await annRung();
    await annBusyBobRung(callId);
    expect(originates()[1]).toBe('PJSIP/+15551230002@trunk-main');
    await agentAnswers(callId, 'connected to Bob');
    await h.engine.writesSettled();
    expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'connected', onCallAgentId: bob });
  });

  it('given Ann is busy and Bob is rung as the fallback, when Bob asks for a call meanwhile, then it is refused as his live call, and Ann is free to place hers', async () => {
    const callId = await annRung();
    await annBusyBobRung(callId);

    expect(h.engine.liveCallOfAgent(bob)?.context.callId).toBe(callId);
    expect(await h.engine.placeCall({ agentTelegramId: '2002', targetInput: '202-555-0199' })).toMatchObject({ ok: false, refusal: 'live_call_exists' });
    expect(originates()).toHaveLength(2);
    expect(h.engine.liveCallOfAgent(ann)).toBeUndefined();
    expect(await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '202-555-0199' })).toMatchObject({ ok: true });
  });

  it('given the route records its calls, when Ann answers the customer\'s call, then the bridge is recorded once both are in it', async () => {
    await h.close();
    await setUp({ recordingPolicies: { policyFor: async () => 'on' } });
    const callId = await annRung();
    await agentAnswers(callId);
    await waitFor(() => ari.commands().includes('recordBridge'), { what: 'the bridge recorded' });
    expect(ari.commands().slice(-3)).toEqual(['answer', 'addToBridge', 'recordBridge']);
  });

  it('given Ann on a live call, then Bob is rung first', async () => {
    await annCalledThem();
    const placed = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '202-555-0199' });
    expect(placed.ok).toBe(true);
    await customerCalls();
    await waitFor(() => originates().length === 2, { what: 'Bob\'s phone rung' });
    expect(originates()[1]).toBe('PJSIP/+15551230002@trunk-main');
  });

  it('given a number outside the pool, then the call is refused (403) and nothing is dialed or recorded', async () => {
    await customerCalls('+15559990000');
    await h.engine.settled();
    expect(ari.commands()).toEqual(['reject']);
    expect(ari.channels.has('in-1')).toBe(false);
    expect(await h.stores.calls.liveCalls()).toEqual([]);
  });

  it('given nobody answers, then the customer hears the missed-call message, and then the call ends with nothing left', async () => {
    await annCalledThem();
    await h.stores.agents.revoke('2002');
    const started = firstValueFrom(h.engine.returnCalls);
    await customerCalls();
    const { context: { callId } } = await started;
    await waitFor(() => originates().length === 1, { what: 'Ann\'s phone rung' });
    ari.channels.delete(`${callId}-agent`);
    await send({ type: 'ChannelDestroyed', channelId: `${callId}-agent`, cause: 19, causeText: 'No answer' });
    await waitFor(() => ari.commands().includes('play'), { what: 'the missed-call message' });
    expect(ari.commandRequests().find((r) => r.op === 'play')?.args).toMatchObject({ channelId: 'in-1', media: 'sound:vm-nobodyavail' });
    expect(ari.channels.get('in-1')?.state).toBe('Up');
    await send({ type: 'PlaybackFinished', playbackId: `${callId}-consent`, failed: false });
    await h.engine.settled();
    expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'ended', outcome: 'agent_no_answer', direction: 'inbound' });
    expect([...ari.channels.keys()]).toEqual([]);
    expect(ari.bridges.size).toBe(0);
  });

  it('given the customer is on the do-not-call list, then the call still goes through, audited, and the agent is told of the listing', async () => {
    await annCalledThem();
    await h.stores.dnc.add(CUSTOMER, { kind: 'admin', addedBy: '1000', reason: 'asked on 3 March' });
    const started = firstValueFrom(h.engine.returnCalls);
    await customerCalls();
    const view = await started;
    expect(view.context.returnCall?.doNotCall).toBe('asked on 3 March');
    expect(originates()).toHaveLength(1);
    const [audit] = await h.stores.audit.latest(1);
    expect(audit).toMatchObject({ action: 'return_call_do_not_call', subject: CUSTOMER });
  });

  describe('with RETURN_CALL_ANNOUNCE=digits', () => {
    beforeEach(async () => {
      await h.close();
      await setUp({}, { ...SETTINGS, agentAnnouncement: 'digits' });
    });

    const plays = () => ari.commandRequests().filter((r) => r.op === 'play').map((r) => r.args);

    it('given Ann answers, then her channel alone hears the customer\'s number, the customer still rings unanswered, and once it played they are joined', async () => {
      const callId = await annRung();
      await send({ type: 'StasisStart', channelId: `${callId}-agent`, channelState: 'Up', args: ['agent', callId] });
      await waitFor(() => plays().length === 1, { what: 'the announcement to Ann' });
      expect(plays()).toEqual([{ channelId: `${callId}-agent`, playbackId: `${callId}-agent-announce`, media: 'digits:12025550123' }]);
      expect(ari.commands()).not.toContain('answer');
      expect(ari.commands()).not.toContain('addToBridge');
      expect(h.engine.liveCall(callId)?.stage).not.toBe('connected');

      await send({ type: 'PlaybackFinished', playbackId: `${callId}-agent-announce`, failed: false });
      await waitFor(() => h.engine.liveCall(callId)?.stage === 'connected', { what: 'connected once it played' });
      expect(ari.bridges.get(`${callId}-bridge`)?.channelIds).toEqual([`${callId}-agent`, 'in-1']);
      expect(ari.channels.get('in-1')?.state).toBe('Up');
    });

    it('given the customer hangs up while Ann hears the announcement, then the call ends cancelled and nothing is left', async () => {
      const callId = await annRung();
      await send({ type: 'StasisStart', channelId: `${callId}-agent`, channelState: 'Up', args: ['agent', callId] });
      await waitFor(() => plays().length === 1, { what: 'the announcement to Ann' });
      ari.channels.delete('in-1');
      await send({ type: 'ChannelHangupRequest', channelId: 'in-1', cause: 16, soft: false });
      await send({ type: 'StasisEnd', channelId: 'in-1' });
      await h.engine.settled();
      expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'ended', outcome: 'cancelled', endedBy: 'target' });
      expect(ari.channels.has(`${callId}-agent`)).toBe(false);
      expect(ari.bridges.size).toBe(0);
    });
  });
});

