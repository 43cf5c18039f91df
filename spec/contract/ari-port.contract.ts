import { AriRequestError, type AriPort } from '../../ari/ari-port';
import { waitFor } from '../support/wait-for';

export interface PortUnderTest {
  port: AriPort;
  close(): Promise<void>;
}

const ID = '0b5ad9c3-1111-4222-8333-944445555666';
const AGENT = `${ID}-agent`;
const TARGET = `${ID}-target`;
const BRIDGE = `${ID}-bridge`;
const CONSULT = `${ID}-consult`;
const PARTY = `${ID}-p3`;
const REC = `${ID}-rec`;

/**
 * What the call engine relies on from any AriPort, run against every implementation: the in-memory
 * fake the engine's specs use, and the real adapter on the ARI simulator. A behaviour the fake
 * lacks fails here, not in production.
 */
export function describeAriPortContract(name: string, open: () => Promise<PortUnderTest>): void {
  describe(`AriPort contract: ${name}`, () => {
    let subject: PortUnderTest;
    let ari: AriPort;

    beforeEach(async () => {
      subject = await open();
      ari = subject.port;
    });

    afterEach(() => subject.close());

    const failure = async (promise: Promise<unknown>) => {
      const err = await promise.then(() => undefined, (e: unknown) => e);
      if (!(err instanceof AriRequestError)) throw new Error(`expected an AriRequestError, got ${String(err)}`);
      return { status: err.status, detail: err.detail };
    };

    it('given a leg originated into the app, then it is listed and not yet in Stasis (it enters only when answered)', async () => {
      await ari.originate({ channelId: AGENT, endpoint: 'PJSIP/+15551230480@trunk-main', app: 'callbot', appArgs: `agent,${ID}`, callerId: '+15550001111', timeoutS: 30 });
      const channel = await ari.getChannel(AGENT);
      expect(channel).toMatchObject({ id: AGENT });
      expect(channel?.appName).not.toBe('Stasis');
      expect((await ari.listChannels()).map((c) => c.id)).toContain(AGENT);
    });

    it('given a channel created, then it is in Stasis with the app and its arguments', async () => {
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      expect(await ari.getChannel(TARGET)).toMatchObject({ id: TARGET, state: 'Down', appName: 'Stasis', appData: `callbot,target,${ID}` });
    });

    it('given a bridge created, then it reads back empty; given a created channel added, then the bridge lists it', async () => {
      await ari.createBridge(BRIDGE, ID);
      expect(await ari.getBridge(BRIDGE)).toEqual({ id: BRIDGE, channelIds: [] });
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      await ari.addToBridge(BRIDGE, TARGET);
      expect(await ari.getBridge(BRIDGE)).toEqual({ id: BRIDGE, channelIds: [TARGET] });
      expect((await ari.listBridges()).map((b) => b.id)).toContain(BRIDGE);
    });

    it('given a channel hung up, then it is gone, and hanging it up again still resolves', async () => {
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      await ari.hangup(TARGET);
      await waitFor(async () => (await ari.getChannel(TARGET)) === null, { what: 'the channel gone' });
      await expect(ari.hangup(TARGET)).resolves.toBeUndefined();
    });

    it('given a bridge destroyed, then it is gone, and destroying it again still resolves', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.destroyBridge(BRIDGE);
      expect(await ari.getBridge(BRIDGE)).toBeNull();
      await expect(ari.destroyBridge(BRIDGE)).resolves.toBeUndefined();
    });

    it('given a playback that does not exist, then stopping it resolves', async () => {
      await expect(ari.stopPlayback(`${ID}-ringback`)).resolves.toBeUndefined();
    });

    it('given a channel that does not exist, then dialing it is a 404 and adding it to a bridge a 400 "Channel not found"', async () => {
      await ari.createBridge(BRIDGE, ID);
      expect(await failure(ari.dial(TARGET, 30, AGENT))).toMatchObject({ status: 404 });
      expect(await failure(ari.addToBridge(BRIDGE, TARGET))).toEqual({ status: 400, detail: 'Channel not found' });
    });

    it('given a bridge that does not exist, then adding to it is a 404', async () => {
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      expect(await failure(ari.addToBridge(BRIDGE, TARGET))).toMatchObject({ status: 404 });
    });

    it('given a channel created with CALLERID(num) among its variables, then it carries that Caller ID', async () => {
      await ari.createChannel({ channelId: PARTY, endpoint: 'PJSIP/+12025550199@trunk-main', app: 'callbot', appArgs: `p3,${ID}`, variables: { 'CALLERID(num)': '+15550001111' } });
      expect(await ari.getChannel(PARTY)).toMatchObject({ id: PARTY, appName: 'Stasis', callerNumber: '+15550001111' });
    });

    it('given a channel in one bridge, when it is moved to another, then only the other lists it', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.createBridge(CONSULT, ID);
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      await ari.addToBridge(BRIDGE, TARGET);
      await ari.moveToBridge(TARGET, BRIDGE, CONSULT);
      expect(await ari.getBridge(BRIDGE)).toEqual({ id: BRIDGE, channelIds: [] });
      expect(await ari.getBridge(CONSULT)).toEqual({ id: CONSULT, channelIds: [TARGET] });
    });

    it('given no such bridge or channel, then a move is a 404 or a 400 "Channel not found"', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      expect(await failure(ari.moveToBridge(TARGET, BRIDGE, CONSULT))).toMatchObject({ status: 404 });
      expect(await failure(ari.moveToBridge(PARTY, CONSULT, BRIDGE))).toEqual({ status: 400, detail: 'Channel not found' });
    });

    it('given a bridge, then music on hold starts and stops, and stopping it again (or on a bridge gone) still resolves', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.startBridgeMoh(BRIDGE, 'default');
      await expect(ari.stopBridgeMoh(BRIDGE)).resolves.toBeUndefined();
      await expect(ari.stopBridgeMoh(BRIDGE)).resolves.toBeUndefined();
      await ari.destroyBridge(BRIDGE);
      await expect(ari.stopBridgeMoh(BRIDGE)).resolves.toBeUndefined();
    });

    it('given no such bridge, then starting music on hold is a 404', async () => {
      expect(await failure(ari.startBridgeMoh(BRIDGE, 'default'))).toMatchObject({ status: 404 });
    });

    it('given a bridge, then a tone played to it stops, and stopping it again (or on a bridge gone) still resolves', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.playOnBridge(BRIDGE, `${ID}-hold`, 'tone:callwaiting');
      await expect(ari.stopPlayback(`${ID}-hold`)).resolves.toBeUndefined();
      await expect(ari.stopPlayback(`${ID}-hold`)).resolves.toBeUndefined();
      await ari.destroyBridge(BRIDGE);
      await expect(ari.stopPlayback(`${ID}-hold`)).resolves.toBeUndefined();
    });

    it('given no such bridge, then playing to it is a 404', async () => {
      expect(await failure(ari.playOnBridge(BRIDGE, `${ID}-hold`, 'tone:callwaiting'))).toMatchObject({ status: 404 });
    });

    it('given a bridge recorded, then it pauses, resumes and stops, and the stored recording is a WAV file that can be deleted once', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.recordBridge(BRIDGE, REC);
      await ari.pauseRecording(REC);
      await ari.unpauseRecording(REC);
      await ari.stopRecording(REC);
      const file = await ari.fetchStoredRecording(REC);
      expect(file.subarray(0, 4).toString('latin1')).toBe('RIFF');
      await ari.deleteStoredRecording(REC);
      expect(await failure(ari.fetchStoredRecording(REC))).toEqual({ status: 404, detail: 'Recording not found' });
      await expect(ari.deleteStoredRecording(REC)).resolves.toBeUndefined();
    });

    it('given a bridge recorded, when the bridge is destroyed, then the recording is stored', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.recordBridge(BRIDGE, REC);
      await ari.destroyBridge(BRIDGE);
      await waitFor(async () => (await ari.fetchStoredRecording(REC).then(() => true, () => false)), { what: 'the recording stored' });
    });

    it('given no such bridge, then recording it is a 404 "Bridge not found"; given no such recording, then stopping it resolves and pausing it is a 404', async () => {
      expect(await failure(ari.recordBridge(BRIDGE, REC))).toEqual({ status: 404, detail: 'Bridge not found' });
      await expect(ari.stopRecording(REC)).resolves.toBeUndefined();
      expect(await failure(ari.pauseRecording(REC))).toEqual({ status: 404, detail: 'Recording not found' });
      expect(await failure(ari.unpauseRecording(REC))).toEqual({ status: 404, detail: 'Recording not found' });
    });

    it('given a recording of that name, then recording again under it is refused (422), live or stored', async () => {
      await ari.createBridge(BRIDGE, ID);
      await ari.recordBridge(BRIDGE, REC);
      expect(await failure(ari.recordBridge(BRIDGE, REC))).toMatchObject({ status: 422 });
      await ari.stopRecording(REC);
      expect(await failure(ari.recordBridge(BRIDGE, REC))).toMatchObject({ status: 422 });
    });

    it('given a channel in the app, when it is snooped on, then the snoop channel is in Stasis with the app\'s arguments, and hangs up like any other', async () => {
      const snoop = `${ID}-snoop1`;
      await ari.createChannel({ channelId: TARGET, endpoint: 'PJSIP/+12025550123@trunk-main', app: 'callbot', appArgs: `target,${ID}` });
      await ari.snoop({ channelId: TARGET, snoopId: snoop, spy: 'both', whisper: 'out', app: 'callbot', appArgs: `supervision,${ID}` });
      expect(await ari.getChannel(snoop)).toMatchObject({ id: snoop, state: 'Up', appName: 'Stasis', appData: `callbot,supervision,${ID}` });
      await ari.createBridge(CONSULT, ID);
      await ari.addToBridge(CONSULT, snoop);
      expect(await ari.getBridge(CONSULT)).toEqual({ id: CONSULT, channelIds: [snoop] });
      await ari.hangup(snoop);
      expect(await ari.getChannel(snoop)).toBeNull();
    });

    it('given no such channel, then snooping on it is a 404', async () => {
      expect(await failure(ari.snoop({ channelId: AGENT, snoopId: `${ID}-snoop1`, spy: 'both', whisper: 'none', app: 'callbot', appArgs: '' }))).toMatchObject({ status: 404 });
    });

    it('given no such channel, then playing to it (the consent announcement) is a 404', async () => {
      expect(await failure(ari.play(TARGET, `${ID}-consent`, 'sound:hello-world'))).toMatchObject({ status: 404 });
    });

    it('given no such channel, then ringing or answering it (an inbound call) is a 404', async () => {
      expect(await failure(ari.ring(TARGET))).toMatchObject({ status: 404 });
      expect(await failure(ari.answer(TARGET))).toMatchObject({ status: 404 });
    });

    it('given no such channel, then refusing it (an inbound call outside the pool) still resolves', async () => {
      await expect(ari.reject(TARGET)).resolves.toBeUndefined();
    });

    it('given nothing of that id, then reading a channel or a bridge gives null', async () => {
      expect(await ari.getChannel(TARGET)).toBeNull();
      expect(await ari.getBridge(BRIDGE)).toBeNull();
    });
  });
}
