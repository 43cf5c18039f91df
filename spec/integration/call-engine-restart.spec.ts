import { firstValueFrom, type Subscription } from 'rxjs';
import { AriAdapter } from '../../ari/ari-adapter';
import { silentLogger } from '../../config/logger';
import type { CallEvent } from '../../call/call-machine';
import type { PartyPlan, RecordingPolicy } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';
import type { ResumedLeftCall } from '../../engine/call-engine';
import type { AriSimulator } from '../support/ari-simulator';
import { SIM_CREDENTIALS, simulatedAri } from '../support/simulated-ari';
import { CAUSE } from '../support/ari-simulator/causes';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

/** Return calls on: a customer calling the pool number back is put through (engine/return-call-intake.ts). */
const RETURN_CALLS = { windowDays: 30, ringTimeoutS: 20, missedMessage: 'sound:vm-nobodyavail', missedMessageTimeoutS: 15 };
const POOL_NUMBER = '+15550001111';
const CUSTOMER = '+12025550123';

type PartyEvent = Extract<CallEvent, { type: 'TransferRequested' | 'ConsultFinished' }>;
type Untimed<T> = T extends unknown ? Omit<T, 'at'> : never;

/**
 * A single instance restarted while its calls are live, on the ARI simulator: the first process
 * dies as far as Asterisk and the database can tell (its event socket cut, nothing of it stopped in
 * order), and a new engine on the same database and the same Asterisk resumes the calls it left
 * live by reading Asterisk back, as a cluster's take-over does (engine/resume-calls.ts).
 */
describe(`a single instance restarted with live calls, on ${testDatabaseKind()}`, () => {
  let sim: AriSimulator;
  let firstAri: AriAdapter;
  let first: EngineHarness;
  let secondAri: AriAdapter | undefined;
  let second: EngineHarness | undefined;
  const resumed: ResumedLeftCall[] = [];
  const updates: CallUpdate[] = [];
  const subscriptions: Subscription[] = [];
  /** The routes' recording policy, read at dial time; a test that records sets it before placing its call. */
  let policy: RecordingPolicy = 'off';
  const recordingPolicies = { policyFor: async () => policy };

  beforeEach(async () => {
    ({ sim, ari: firstAri } = await simulatedAri({ ringMs: 30 }));
    first = await startEngine(firstAri, { ARI_URL: sim.url }, { recordParties: true, recordingPolicies, returnCalls: RETURN_CALLS });
    await first.engine.start();
    await firstAri.start();
    await waitFor(() => firstAri.isConnected(), { what: 'ARI connected' });
    await addAgent(first.stores);
  });

  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    resumed.splice(0);
    updates.splice(0);
    policy = 'off';
    if (second) {
      for (const call of second.engine.liveCalls()) second.engine.cancelCall(call.context.callId, 'system');
      await second.engine.settled();
      await second.close();
      second = undefined;
    }
    await secondAri?.close();
    secondAri = undefined;
    await first.close();
    await firstAri.close();
    await sim.stop();
  });

  const ids = (callId: string) => ({ agent: `${callId}-agent`, customer: `${callId}-target`, p3: `${callId}-p3`, main: `${callId}-bridge`, consult: `${callId}-consult` });
  const members = (bridgeId: string) => sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort().join() ?? null;
  const upInAsterisk = (channelId: string) => sim.channels().some((c) => c.id === channelId && c.state === 'Up');
  const gone = (id: string) => !sim.channels().some((c) => c.id === id) && !sim.bridges().some((b) => b.id === id);
  const nothingLeft = () => sim.channels().length === 0 && sim.bridges().length === 0;

  async function connectedCall(): Promise<string> {
    const placed = await first.engine.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    const { callId } = placed;
    const { agent, customer, main } = ids(callId);
    await waitFor(() => first.engine.callState(callId)?.stage === 'connected' && members(main) === [agent, customer].sort().join(), { what: 'agent and customer bridged' });
    // The bot records where the call's status is shown.
    first.engine.attachStatusMessage(callId, '2001', 41);
    await first.engine.writesSettled();
    return callId;
  }

  /**
   * The first process dies: once its requests in flight are answered (a request cut short would end
   * the call, which a killed process never writes), it hears and writes nothing more.
   */
  async function killFirst(): Promise<void> {
    await first.engine.settled();
    await first.engine.stop();
    await firstAri.close();
  }

  /** The first process dies, then a new one starts on the same database and the same Asterisk. */
  async function restarted(): Promise<EngineHarness> {
    await killFirst();
    const ari = new AriAdapter({
      url: sim.url, ...SIM_CREDENTIALS, app: 'callbot', logger: silentLogger(), requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 200, keepaliveMs: 500,
    });
    secondAri = ari;
    const next = await startEngine(ari, { ARI_URL: sim.url }, { recordParties: true, recordingPolicies, databaseUrl: first.databaseUrl, returnCalls: RETURN_CALLS });
    second = next;
    subscriptions.push(next.engine.resumed.subscribe((call) => {
      resumed.push(call);
      subscriptions.push(call.view.updates.subscribe((update) => updates.push(update)));
    }));
    expect(await next.engine.start()).toEqual([]);
    await ari.start();
    await waitFor(() => resumed.length > 0, { what: 'the call resumed' });
    return next;
  }

  /** The customer Ann called from the pool number an hour ago calls it back; Ann's phone (`annPhone`) is rung. Returns the call's id. */
  async function returnCall(annPhone?: string): Promise<string> {
    if (annPhone) await first.stores.agents.authorize({ telegramId: '2001', phone: annPhone, callerId: POOL_NUMBER, by: '1000', displayName: 'Ann Agent' });
    const ann = (await first.stores.agents.byTelegramId('2001'))!.id;
    await first.stores.callerIds.add(POOL_NUMBER, 'M', '1000');
    const at = new Date(Date.now() - 3600_000);
    await first.stores.calls.recordCallRequest({
      id: '11111111-1111-4111-8111-111111111111', agentId: ann, targetInput: CUSTOMER, target: CUSTOMER, callerId: POOL_NUMBER, route: 'M',
      stage: 'ended', outcome: 'completed', requestedAt: at, endedAt: at,
    });
    const started = firstValueFrom(first.engine.returnCalls);
    sim.callIn({ channelId: 'in-1', endpoint: 'PJSIP/trunk-main', app: 'callbot', calledNumber: POOL_NUMBER.slice(1), callerNumber: CUSTOMER });
    return (await started).context.callId;
  }

  const finals = (callId: string) => updates.filter((u) => u.context.callId === callId && u.final);

  it('given a connected two-party call, when the process restarts, then the call goes on where its status was shown, hanging up works, and the final status comes once', async () => {
    const callId = await connectedCall();
    const { agent, customer, main } = ids(callId);
    const next = await restarted();

    expect(resumed.map((r) => [r.call.id, r.call.telegramChatId, r.call.statusMessageId, r.view.stage])).toEqual([[callId, '2001', 41, 'connected']]);
    expect(next.engine.callState(callId)?.stage).toBe('connected');
    // The sweep after the resume leaves the resumed call's channels and bridge alone.
    await waitFor(() => next.engine.sweepCounts().sweeps > 0, { what: 'the first sweep' });
    expect(members(main)).toBe([agent, customer].sort().join());
    expect([agent, customer].every(upInAsterisk)).toBe(true);
    expect((await next.stores.calls.byId(callId))?.stage).toBe('connected');

    // The status message's Hang up button asks the desk for exactly this.
    expect(next.engine.cancelCallAs(callId, { agentId: resumed[0]!.call.context.agentId, isAdmin: false })).toBe('cancelled');
    await waitFor(nothingLeft, { what: 'no channel or bridge left' });
    await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'agent' });
    await next.engine.settled();
    expect(finals(callId).map((u) => u.outcome)).toEqual(['completed']);
  });

  it('given a connected call whose agent hung up while the app was down, when the process restarts, then it ends once, every remaining leg is hung up and no orphan is left', async () => {
    const callId = await connectedCall();
    const { agent } = ids(callId);
    await killFirst();
    sim.farEndHangup(agent);
    await waitFor(() => gone(agent), { what: 'the agent gone' });
    const next = await restarted();

    await waitFor(nothingLeft, { what: 'no channel or bridge left' });
    await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'agent' });
    await next.engine.settled();
    expect(finals(callId)).toHaveLength(1);
    expect(next.engine.liveCalls()).toEqual([]);
  });

  describe('a recorded call', () => {
    /**
     * A connected call on a recorded route, once Asterisk has answered the request to record its
     * bridge and the row says so: a request cut short by the kill would fail the recording, which a
     * killed process never writes.
     */
    async function recordedCall(): Promise<string> {
      policy = 'on';
      const recordBridge = firstAri.recordBridge.bind(firstAri);
      let answered: Promise<void> | undefined;
      jest.spyOn(firstAri, 'recordBridge').mockImplementation((bridgeId, name) => (answered = recordBridge(bridgeId, name)));
      const callId = await connectedCall();
      await waitFor(() => answered !== undefined, { what: 'the bridge\'s recording asked for' });
      await answered;
      expect(first.engine.callState(callId)?.recording?.status).toBe('recording');
      await first.engine.writesSettled();
      return callId;
    }
    const stopsAsked = (callId: string) => sim.requests().filter((r) => r.method === 'POST' && r.path === `/ari/recordings/live/${callId}-rec/stop`).length;

    it('given a recorded connected call, when the process restarts, then the call goes on recording, and at its end the recording is stopped and the final update names it', async () => {
      const callId = await recordedCall();
      const next = await restarted();

      expect(next.engine.callState(callId)?.recording).toMatchObject({ name: `${callId}-rec`, status: 'recording' });
      expect(next.engine.cancelCallAs(callId, { agentId: resumed[0]!.call.context.agentId, isAdmin: false })).toBe('cancelled');
      await waitFor(nothingLeft, { what: 'no channel or bridge left' });
      await next.engine.settled();
      expect(finals(callId)).toHaveLength(1);
      expect(finals(callId)[0]).toMatchObject({ outcome: 'completed', recording: { name: `${callId}-rec`, status: 'stopped' } });
      expect(stopsAsked(callId)).toBe(1);
      // What the media pipeline then fetches, from the same Asterisk.
      expect((await secondAri!.fetchStoredRecording(`${callId}-rec`)).subarray(0, 4).toString('latin1')).toBe('RIFF');
    });

    it('given a recorded call paused, when the process restarts, then it resumes paused and the agent can resume the recording', async () => {
      const callId = await recordedCall();
      const pauseRecording = firstAri.pauseRecording.bind(firstAri);
      let paused: Promise<void> | undefined;
      jest.spyOn(firstAri, 'pauseRecording').mockImplementation((name) => (paused = pauseRecording(name)));
      expect(first.engine.toggleRecording(callId, true, '2001')).toBe(true);
      await waitFor(() => paused !== undefined, { what: 'the pause asked for' });
      await paused;
      await first.engine.writesSettled();
      expect((await first.stores.calls.byId(callId))?.recordingPausedAt).toBeInstanceOf(Date);
      const next = await restarted();

      expect(next.engine.callState(callId)?.recording).toMatchObject({ name: `${callId}-rec`, status: 'paused' });
      expect(next.engine.toggleRecording(callId, false, '2001')).toBe(true);
      await waitFor(() => sim.requests().some((r) => r.method === 'DELETE' && r.path === `/ari/recordings/live/${callId}-rec/pause`), { what: 'the recording resumed' });
    });

    it('given a recorded call whose customer hung up while the app was down, when the process restarts, then it ends once and its final update names the stopped recording', async () => {
      const callId = await recordedCall();
      const { customer } = ids(callId);
      await killFirst();
      sim.farEndHangup(customer);
      await waitFor(() => gone(customer), { what: 'the customer gone' });
      const next = await restarted();

      await waitFor(nothingLeft, { what: 'no channel or bridge left' });
      await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
      await next.engine.settled();
      expect(finals(callId)).toHaveLength(1);
      expect(finals(callId)[0]).toMatchObject({ outcome: 'completed', recording: { name: `${callId}-rec`, status: 'stopped' } });
      expect((await secondAri!.fetchStoredRecording(`${callId}-rec`)).subarray(0, 4).toString('latin1')).toBe('RIFF');
    });
  });

  it('given a call whose agent is still ringing and whose agent leg is gone while the app was down, when the process restarts, then it ends once as interrupted with nothing left', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes('15551230001') ? { kind: 'answer', ringMs: 60_000 } : undefined));
    const placed = await first.engine.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    const { callId } = placed;
    const { agent, customer, main } = ids(callId);
    // The customer's channel is made at the start and waits in the bridge, not yet dialed.
    await waitFor(async () => (await first.stores.calls.byId(callId))?.stage === 'agent_ringing' && members(main) === customer, { what: 'the agent ringing' });
    await killFirst();
    sim.farEndHangup(agent);
    await waitFor(() => gone(agent), { what: 'the agent leg gone' });
    const next = await restarted();

    await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'interrupted' });
    await next.engine.settled();
    await waitFor(nothingLeft, { what: 'no channel or bridge left' });
    expect(finals(callId).map((u) => u.outcome)).toEqual(['interrupted']);
  });

  it('given a call in consultation, when the process restarts, then the consultation goes on and completing it joins the customer and the consulted party', async () => {
    const callId = await connectedCall();
    const { agent, customer, p3, main, consult } = ids(callId);
    const { targetEndpoint } = first.engine.callState(callId)!.plan;
    const colleague: PartyPlan = {
      target: { kind: 'number', number: '+12025550199' }, label: '+12025550199',
      endpoint: targetEndpoint.replace('+12025550123', '+12025550199'), callerId: '+15550001111', ringTimeoutS: 20,
    };
    const send = (h: EngineHarness, event: Untimed<PartyEvent>) => expect(h.engine.sendPartyEvent(callId, { ...event, at: Date.now() } as PartyEvent)).toBe(true);
    send(first, { type: 'TransferRequested', mode: 'warm', party: colleague, by: '2001' });
    await waitFor(() => upInAsterisk(p3) && members(consult) === [agent, p3].sort().join() && members(main) === customer, { what: 'the agent consulting, the customer on hold' });
    await waitFor(async () => (await first.stores.legs.legsOf([callId])).get(callId)?.find((l) => l.legId === 'p3')?.answeredAt != null, { what: 'the consulted leg recorded answered' });
    const next = await restarted();

    expect(next.engine.callState(callId)?.operation).toMatchObject({ kind: 'consult', legId: 'p3' });
    await waitFor(() => next.engine.sweepCounts().sweeps > 0, { what: 'the first sweep' });
    expect([agent, customer, p3].every(upInAsterisk)).toBe(true);

    send(next, { type: 'ConsultFinished', how: 'complete', by: '2001' });
    await waitFor(() => gone(agent) && gone(consult) && members(main) === [customer, p3].sort().join(), { what: 'customer and colleague bridged' });
    expect((await next.stores.calls.byId(callId))?.stage).toBe('connected');
    sim.farEndHangup(customer);
    await waitFor(nothingLeft, { what: 'no channel or bridge left' });
    await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    await next.engine.settled();
    expect(finals(callId)).toHaveLength(1);
  });

  describe('a return call (a customer calling a pool number back)', () => {
    it('given it is connected, when the process restarts, then it goes on with the customer\'s own channel where its status was shown, and the customer hanging up ends it once with nothing left', async () => {
      const callId = await returnCall();
      const { agent, main } = ids(callId);
      await waitFor(() => first.engine.callState(callId)?.stage === 'connected' && members(main) === [agent, 'in-1'].sort().join(), { what: 'Ann and the customer bridged' });
      first.engine.attachStatusMessage(callId, '2001', 41);
      await first.engine.writesSettled();
      const next = await restarted();

      expect(resumed.map((r) => [r.call.id, r.call.telegramChatId, r.call.statusMessageId, r.view.stage])).toEqual([[callId, '2001', 41, 'connected']]);
      // Its status message goes on saying who called back.
      expect(resumed[0]!.view.context.returnCall).toMatchObject({ customerNumber: CUSTOMER, calledNumber: POOL_NUMBER });
      await waitFor(() => next.engine.sweepCounts().sweeps > 0, { what: 'the first sweep' });
      expect(members(main)).toBe([agent, 'in-1'].sort().join());
      expect([agent, 'in-1'].every(upInAsterisk)).toBe(true);

      sim.farEndHangup('in-1');
      await waitFor(nothingLeft, { what: 'no channel or bridge left' });
      await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
      expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'target', direction: 'inbound' });
      await next.engine.settled();
      expect(finals(callId).map((u) => u.outcome)).toEqual(['completed']);
    });

    /** Bob, on Ann's route, answers his phone: the candidate after Ann, the one who last called the customer. */
    async function bobOnTheRoute(): Promise<number> {
      await first.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', callerId: POOL_NUMBER, by: '1000', displayName: 'Bob Agent' });
      await first.stores.agents.setRoute('2002', 'M');
      return (await first.stores.agents.byTelegramId('2002'))!.id;
    }

    /** Ann's phone, still ringing for the call, gives up unanswered. */
    const annDoesNotAnswer = (callId: string) => sim.farEndHangup(ids(callId).agent, CAUSE.NO_ANSWER);
    const agentInvites = () => sim.invites().map((i) => i.endpoint).filter((e) => e.includes('+1555123'));

    it('given Ann\'s phone still rings with Bob next on the route, when the process restarts and Ann does not answer, then Bob is rung, and his answer joins him to the customer', async () => {
      const bob = await bobOnTheRoute();
      const callId = await returnCall('+15551230480');
      const { agent, main } = ids(callId);
      // The engine, not only Asterisk, has seen the ringing: only then is its write queued for writesSettled to wait for.
      await waitFor(() => sim.channels().some((c) => c.id === agent && c.state === 'Ringing') && first.engine.callState(callId)?.stage === 'agent_ringing', { what: 'Ann\'s phone ringing' });
      first.engine.attachStatusMessage(callId, '2001', 41);
      await first.engine.writesSettled();
      const next = await restarted();

      expect(resumed.map((r) => [r.call.id, r.call.statusMessageId, r.view.stage])).toEqual([[callId, 41, 'agent_ringing']]);
      annDoesNotAnswer(callId);
      await waitFor(() => next.engine.callState(callId)?.stage === 'connected' && members(main) === [agent, 'in-1'].sort().join(), { what: 'Bob and the customer bridged' });

      expect(agentInvites()).toEqual(['PJSIP/+15551230480@trunk-main', 'PJSIP/+15551230002@trunk-main']);
      await next.engine.writesSettled();
      expect(await next.stores.calls.byId(callId)).toMatchObject({ stage: 'connected', onCallAgentId: bob, direction: 'inbound' });
      sim.farEndHangup('in-1');
      await waitFor(nothingLeft, { what: 'no channel or bridge left' });
      await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
      expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
      await next.engine.settled();
      expect(finals(callId).map((u) => u.outcome)).toEqual(['completed']);
    });

    it('given Ann\'s phone started ringing but the process died before it heard so, when it restarts, then reading Asterisk back finds her phone ringing: the call resumes as ringing and says so in its row', async () => {
      const callId = await returnCall('+15551230480');
      const { agent } = ids(callId);
      // From here the first process hears nothing: Ann's ringing never reaches it.
      sim.holdEvents();
      await waitFor(() => sim.channels().some((c) => c.id === agent && c.state === 'Ringing'), { what: 'Ann\'s phone ringing in Asterisk' });
      expect(first.engine.callState(callId)?.stage).toBe('agent_dialing');
      first.engine.attachStatusMessage(callId, '2001', 41);
      await first.engine.writesSettled();
      const next = await restarted();

      await waitFor(() => next.engine.callState(callId)?.stage === 'agent_ringing', { what: 'the call resumed as ringing' });
      await next.engine.writesSettled();
      expect(await next.stores.calls.byId(callId)).toMatchObject({ stage: 'agent_ringing', agentRingingAt: expect.any(Date) });
      annDoesNotAnswer(callId);
      await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call ended unanswered', timeoutMs: 20_000 });
      await waitFor(nothingLeft, { what: 'no channel or bridge left' });
      expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'agent_no_answer' });
    });

    it('given Ann\'s phone still rings and nobody else is on the route, when the process restarts and Ann does not answer, then the customer hears the missed-call message and the call ends once, where its status was shown, with nothing left', async () => {
      const callId = await returnCall('+15551230480');
      const { agent } = ids(callId);
      // The engine, not only Asterisk, has seen the ringing: only then is its write queued for writesSettled to wait for.
      await waitFor(() => sim.channels().some((c) => c.id === agent && c.state === 'Ringing') && first.engine.callState(callId)?.stage === 'agent_ringing', { what: 'Ann\'s phone ringing' });
      first.engine.attachStatusMessage(callId, '2001', 41);
      await first.engine.writesSettled();
      const next = await restarted();

      expect(resumed.map((r) => [r.call.id, r.call.statusMessageId, r.view.stage])).toEqual([[callId, 41, 'agent_ringing']]);
      // Its status message goes on saying who called back, and whose call they return (Ann is told of the missed call).
      const ann = (await next.stores.agents.byTelegramId('2001'))!.id;
      expect(resumed[0]!.view.context.returnCall).toMatchObject({ customerNumber: CUSTOMER, calledNumber: POOL_NUMBER, lastCall: { agentId: ann } });
      annDoesNotAnswer(callId);
      await waitFor(async () => (await next.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call ended unanswered', timeoutMs: 20_000 });
      await waitFor(nothingLeft, { what: 'no channel or bridge left' });

      expect(agentInvites()).toEqual(['PJSIP/+15551230480@trunk-main']);
      expect(sim.requests().some((r) => r.method === 'POST' && r.path === '/ari/channels/in-1/play')).toBe(true);
      expect(await next.stores.calls.byId(callId)).toMatchObject({ outcome: 'agent_no_answer', endedBy: 'app' });
      await next.engine.settled();
      expect(finals(callId).map((u) => u.outcome)).toEqual(['agent_no_answer']);
    });
  });
});

