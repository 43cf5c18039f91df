import { firstValueFrom, last } from 'rxjs';
import type { AriAdapter } from '../../ari/ari-adapter';
import type { CallUpdate } from '../../call/call-update';
import type { AriSimulator } from '../support/ari-simulator';
import { addAgent, callWithAgentAnswered, type EngineHarness, startEngine } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { closeEngineOnSimulator, simulatedAri } from '../support/simulated-ari';
import { waitFor } from '../support/wait-for';

/**
 * Early media through the engine: the customer's network sends 183 with SDP (ARI Dial PROGRESS on
 * the customer's channel, waiting in the bridge), and callbot's ringback to the agent stops so the
 * agent hears the network. On the in-memory ARI with events sent by hand, and on the simulator
 * whose far ends …0183 and …0184 replay what the captures of 18.9-cert4 and 22.10.1 show.
 */
describe('early media through the engine', () => {
  describe('on an in-memory ARI', () => {
    let ari: FakeAri;
    let h: EngineHarness;

    beforeEach(async () => {
      ari = new FakeAri();
      h = await startEngine(ari);
      await h.engine.start();
    });

    afterEach(() => h.close());

    const send = (event: Parameters<FakeAri['emit']>[0]) => ari.deliver(event);

    /** The agent answered and hears ringback; the customer's channel, in the bridge, is dialed. */
    async function ringbackPlaying() {
      await addAgent(h.stores);
      const call = await callWithAgentAnswered(h, ari);
      await waitFor(() => ari.commands().includes('play'), { timeoutMs: 1000, what: 'the ringback' });
      return call;
    }

    it('given the agent hears ringback, when the customer\'s channel reports Dial PROGRESS, then the ringback is stopped and the update says early media', async () => {
      const { callId, updates } = await ringbackPlaying();
      await send({ type: 'Dial', channelId: `${callId}-target`, dialstatus: 'PROGRESS' });
      await waitFor(() => ari.commandRequests().find((r) => r.op === 'stopPlayback'), { timeoutMs: 1000, what: 'the ringback stopped' });
      expect(ari.commandRequests().filter((r) => r.op === 'stopPlayback')).toEqual([{ op: 'stopPlayback', args: { playbackId: `${callId}-ringback` } }]);
      expect(updates.at(-1)).toMatchObject({ stage: 'target_ringing', earlyMedia: true });
    });

    it('given the agent hears ringback, when the customer\'s phone only rings (Dial RINGING), then the ringback plays on', async () => {
      const { callId, updates } = await ringbackPlaying();
      await send({ type: 'Dial', channelId: `${callId}-target`, dialstatus: 'RINGING' });
      await waitFor(() => updates.at(-1)?.stage === 'target_ringing', { timeoutMs: 1000, what: 'ringing' });
      await h.engine.settled();
      expect(ari.commands()).not.toContain('stopPlayback');
      expect(updates.at(-1)?.earlyMedia).toBeUndefined();
    });

    describe('a party added to the connected call', () => {
      const party = {
        target: { kind: 'number' as const, number: '+12025550199' }, label: '+12025550199', endpoint: 'PJSIP/+12025550199@trunk-main', callerId: '+15550001111', ringTimeoutS: 20,
      };

      /** The call connected, then a party added: its channel in the main bridge, dialed, and the agent hearing callbot's ringback. */
      async function partyRinging(): Promise<string> {
        const { callId } = await ringbackPlaying();
        await send({ type: 'ChannelStateChange', channelId: `${callId}-target`, channelState: 'Up' });
        await waitFor(() => h.engine.liveCall(callId)?.stage === 'connected', { timeoutMs: 1000, what: 'connected' });
        expect(h.engine.sendPartyEvent(callId, { type: 'AddPartyRequested', party, by: '2001', at: Date.now() })).toBe(true);
        await waitFor(() => ari.commands().includes('createChannel'), { timeoutMs: 1000, what: 'the party\'s channel made' });
        await send({ type: 'StasisStart', channelId: `${callId}-p3`, channelState: 'Down', args: ['p3', callId] });
        await waitFor(() => ari.commandRequests().some((r) => r.op === 'play' && r.args['playbackId'] === `${callId}-p3-ringback`), { timeoutMs: 1000, what: 'the agent\'s ringback for the party' });
        return callId;
      }

      const stopped = (callId: string) => ari.commandRequests().filter((r) => r.op === 'stopPlayback' && r.args['playbackId'] === `${callId}-p3-ringback`);

      it('given the agent hears ringback for the party, when the party\'s channel reports Dial PROGRESS, then that ringback stops so the agent hears the party\'s network', async () => {
        const callId = await partyRinging();
        await send({ type: 'Dial', channelId: `${callId}-p3`, dialstatus: 'PROGRESS' });
        await waitFor(() => stopped(callId).length === 1, { timeoutMs: 1000, what: 'the party\'s ringback stopped' });
      });

      it('given the agent hears ringback for the party, when the party only rings (Dial RINGING), then the ringback plays on', async () => {
        const callId = await partyRinging();
        await send({ type: 'Dial', channelId: `${callId}-p3`, dialstatus: 'RINGING' });
        await h.engine.settled();
        expect(stopped(callId)).toEqual([]);
      });
    });
  });

  describe('on the ARI simulator through the adapter', () => {
    let sim: AriSimulator;
    let ari: AriAdapter;
    let h: EngineHarness;

    beforeEach(async () => {
      ({ sim, ari } = await simulatedAri({ ringMs: 150 }));
      h = await startEngine(ari, { ARI_URL: sim.url });
      await h.engine.start();
      await ari.start();
      await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
      await addAgent(h.stores);
    });

    afterEach(() => closeEngineOnSimulator(h, ari, sim));

    async function call(target: string) {
      const result = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: target });
      if (!result.ok) throw new Error(`refused: ${result.refusal}`);
      const updates: CallUpdate[] = [];
      result.updates.subscribe((u) => updates.push(u));
      return { ...result, seen: updates, final: firstValueFrom(result.updates.pipe(last())) };
    }

    const stopped = (callId: string) => sim.requests().some((r) => r.method === 'DELETE' && r.path === `/ari/playbacks/${callId}-ringback`);

    it('given the customer\'s network sends early media then the customer answers, then the ringback is stopped before the answer and the call connects', async () => {
      const placed = await call('+12025550183');
      await waitFor(() => stopped(placed.callId), { what: 'the ringback stopped on early media' });
      expect(placed.seen.some((u) => u.stage === 'connected')).toBe(false);
      await waitFor(() => placed.seen.some((u) => u.stage === 'connected'), { what: 'the call connected' });
      h.engine.cancelCall(placed.callId, 'agent');
      expect(await placed.final).toMatchObject({ outcome: 'completed', earlyMedia: true });
    });

    it('given an announcement then 404, then the call ends target_invalid_number with early media and cause 1', async () => {
      const placed = await call('+12025550184');
      await waitFor(() => stopped(placed.callId), { what: 'the ringback stopped on early media' });
      expect(await placed.final).toMatchObject({ final: true, outcome: 'target_invalid_number', endedBy: 'target', hangupCause: 1, earlyMedia: true });
      await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left in Asterisk' });
    });

    it('given a customer without early media, then callbot\'s ringback plays until the answer', async () => {
      sim.setFarEnd((e) => (e.includes('+12025550123') ? { kind: 'answer', ringMs: 150, hangupAfterMs: 100 } : undefined));
      const placed = await call('+12025550123');
      await waitFor(() => placed.seen.some((u) => u.stage === 'target_ringing'), { what: 'the customer ringing' });
      expect(stopped(placed.callId)).toBe(false);
      const final = await placed.final;
      expect(final.outcome).toBe('completed');
      expect(final.earlyMedia).toBeUndefined();
    });
  });
});
