import type { CallUpdate } from '../../call/call-update';
import type { RecordingPolicy } from '../../call/call-types';
import type { CallEngineDeps } from '../../engine/call-engine';
import { addAgent, callWithAgentAnswered, type EngineHarness, startEngine } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';

/** The engine reads the route's recording policy at dial time and carries the machine's recording requests out (call/recording.ts). */
describe('call engine: the call\'s recording', () => {
  let ari: FakeAri;
  let h: EngineHarness | undefined;

  afterEach(() => h?.close());

  async function start(policy: RecordingPolicy | 'failing', announcement: string | null = null): Promise<EngineHarness> {
    ari = new FakeAri();
    const deps: Pick<CallEngineDeps, 'recordingPolicies' | 'consentAnnouncements'> = {
      recordingPolicies: { policyFor: async () => { if (policy === 'failing') throw new Error('policy store unreachable'); return policy; } },
      consentAnnouncements: { announcementFor: async () => announcement },
    };
    h = await startEngine(ari, {}, deps);
    await h.engine.start();
    await addAgent(h.stores);
    return h;
  }

  const send = (event: Parameters<FakeAri['emit']>[0]) => ari.deliver(event);

  /** Places a call and brings it up to the customer's answer; returns its id and its updates so far. */
  async function answeredCall(engine: EngineHarness): Promise<{ callId: string; updates: CallUpdate[] }> {
    const { callId, updates } = await callWithAgentAnswered(engine, ari);
    await send({ type: 'Dial', channelId: `${callId}-target`, dialstatus: 'RINGING' });
    await send({ type: 'ChannelStateChange', channelId: `${callId}-target`, channelState: 'Up' });
    return { callId, updates };
  }

  it('given a route recorded (on), when the customer answers, then the bridge is recorded, and at the end stopped; the final update names the recording', async () => {
    const engine = await start('on');
    const { callId, updates } = await answeredCall(engine);
    await waitFor(() => ari.ops().includes('recordBridge'), { what: 'the bridge recorded' });
    expect(ari.requests.find((r) => r.op === 'recordBridge')?.args).toEqual({ bridgeId: `${callId}-bridge`, name: `${callId}-rec` });

    expect(engine.engine.toggleRecording(callId, true, '2001')).toBe(true);
    await waitFor(() => ari.ops().includes('pauseRecording'), { what: 'the recording paused' });
    expect(engine.engine.toggleRecording(callId, true, '2001')).toBe(false);
    expect(engine.engine.toggleRecording(callId, false, '2001')).toBe(true);
    await waitFor(() => ari.ops().includes('unpauseRecording'), { what: 'the recording resumed' });

    await send({ type: 'ChannelDestroyed', channelId: `${callId}-target`, cause: 16, causeText: 'Normal Clearing' });
    await engine.engine.settled();
    const ops = ari.commands();
    expect(ops.indexOf('stopRecording')).toBeLessThan(ops.indexOf('destroyBridge'));
    const final = updates.at(-1)!;
    expect(final).toMatchObject({ final: true, recording: { name: `${callId}-rec`, status: 'stopped', pausedMs: expect.any(Number) } });
    expect(final.recording!.stoppedAt! - final.recording!.startedAt!).toBeGreaterThanOrEqual(0);
    // What the media pipeline then reads, through the same port.
    expect((await ari.fetchStoredRecording(`${callId}-rec`)).subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('given a route with consent and its announcement, when the customer answers, then they hear it alone, and on its end join the agent and are recorded', async () => {
    const engine = await start('consent', 'sound:http://callbot:8080/media/announcement-M.wav');
    const { callId } = await answeredCall(engine);
    await waitFor(() => ari.ops().includes('play') && ari.requests.some((r) => r.op === 'play' && r.args['channelId'] === `${callId}-target`), { what: 'the announcement played' });
    expect(ari.requests.filter((r) => r.op === 'addToBridge').map((r) => r.args['channelId'])).toEqual([`${callId}-agent`]);
    expect(ari.requests.find((r) => r.op === 'play' && r.args['channelId'] === `${callId}-target`)?.args)
      .toEqual({ channelId: `${callId}-target`, playbackId: `${callId}-consent`, media: 'sound:http://callbot:8080/media/announcement-M.wav' });
    expect(ari.ops()).not.toContain('recordBridge');
    expect(ari.ops()).not.toContain('stopPlayback');

    await send({ type: 'PlaybackFinished', playbackId: `${callId}-consent`, failed: false });
    await waitFor(() => ari.ops().includes('recordBridge'), { what: 'the bridge recorded' });
    expect(ari.requests.filter((r) => r.op === 'addToBridge').map((r) => r.args['channelId'])).toEqual([`${callId}-agent`, `${callId}-target`]);
    expect(ari.ops()).toContain('stopPlayback');
    expect(engine.engine.liveCall(callId)?.stage).toBe('connected');
  });

  it('given Asterisk refuses to record, then the call goes on connected and its updates say the recording failed, in words', async () => {
    const engine = await start('on');
    ari.failNext('recordBridge', 'Internal Server Error', 500);
    const { callId, updates } = await answeredCall(engine);
    await waitFor(() => updates.some((u) => u.recording?.status === 'failed'), { what: 'the failure said' });
    expect(updates.at(-1)).toMatchObject({ stage: 'connected', recording: { status: 'failed', failure: 'Asterisk refused to record: Internal Server Error' } });
    expect(ari.ops()).not.toContain('hangup');
    expect(engine.engine.liveCall(callId)?.stage).toBe('connected');
  });

  it('given the policy cannot be read, then the call is placed and not recorded', async () => {
    const engine = await start('failing');
    await answeredCall(engine);
    await engine.engine.settled();
    expect(ari.ops()).not.toContain('recordBridge');
  });
});
