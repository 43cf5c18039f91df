import { type CallEffect, type CallEvent, type CallPlan, type CallRecordPatch, type CallState, transition } from '../../call/call-machine';
import { callIds } from '../../call/call-ids';
import { type RecordedCall, resumeCall } from '../../call/call-resume';
import type { AsteriskView, ChannelView } from '../../call/read-back';
import { recordingToggle } from '../../call/recording';
import { toCallUpdate } from '../../call/call-update';
import type { CallContext } from '../../call/call-update';
import { TEST_PLAN } from '../support/call-plan';
import { runMachine } from '../support/machine-run';

/*
 * A recorded call resumed after a restart or taken over: Asterisk went on recording its bridge while
 * no instance followed it, so the resumed call carries the recording its row names, stops it at its
 * end, and its final update names it (the media pipeline fetches the file from that).
 */

const plan: CallPlan = { ...TEST_PLAN, recording: { policy: 'on' } };
const ids = callIds(plan.callId);
const context: CallContext = { callId: 'c1', agentId: 1, agentTelegramId: '100', agentPhone: '+15551230001', target: '+12025550123', route: 'M', callerId: null };
const up: ChannelView = { state: 'Up', inStasis: true };
const p3 = `${plan.callId}-p3`;

const types = (effects: readonly CallEffect[]) => effects.map((e) => e.type);
const patches = (effects: readonly CallEffect[]): CallRecordPatch[] => effects.flatMap((e) => (e.type === 'PersistCall' ? [e.patch] : []));
/** The row's fields after the effects' writes, in order. */
const written = (effects: readonly CallEffect[]): CallRecordPatch => Object.assign({}, ...patches(effects)) as CallRecordPatch;

const connectedRow = (recording: RecordedCall['recording']): RecordedCall => ({
  stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 4000, ...(recording ? { recording } : {}),
});

function view(agent: ChannelView | null, target: ChannelView | null): AsteriskView {
  const members = [agent && ids.agentChannelId, target && ids.targetChannelId].filter((id): id is string => typeof id === 'string');
  return { channels: { [ids.agentChannelId]: agent, [ids.targetChannelId]: target }, bridges: { [ids.bridgeId]: { members } } };
}

const hangup = (leg: string, at: number): CallEvent => ({ type: 'LegEnded', leg, cause: 16, causeText: 'Normal Clearing', at });
const finalUpdate = (state: CallState, at: number) => toCallUpdate(context, 'ended', state, at);

describe('a recorded call resumed after a restart or a take-over', () => {
  describe('what the Call row keeps while the call runs', () => {
    const answered: CallEvent[] = [
      { type: 'CallStarted', at: 0 }, { type: 'LegEnteredStasis', leg: 'target', at: 0 }, { type: 'LegRinging', leg: 'agent', at: 0 },
      { type: 'LegAnswered', leg: 'agent', at: 0 }, { type: 'LegEnteredStasis', leg: 'agent', at: 0 }, { type: 'TimerExpired', timer: 'dial_hold', at: 0 },
      { type: 'LegRinging', leg: 'target', at: 0 }, { type: 'LegAnswered', leg: 'target', at: 0 },
    ];
    const pause: CallEvent = { type: 'RecordingPauseRequested', pause: true, by: '100', at: 0 };
    const resume: CallEvent = { type: 'RecordingPauseRequested', pause: false, by: '100', at: 0 };

    it('given the customer answers a recorded call, then the row is written connected with the recording\'s name and start', () => {
      const { last } = runMachine(plan, answered);
      expect(written(last)).toMatchObject({ stage: 'connected', recordingName: 'c1-rec', recordingStartedAt: new Date(8000), recordingPausedMs: 0, recordingPausedAt: null });
    });

    it('given the consent announcement ends, then the row is written connected with the recording\'s name and start', () => {
      const consent: CallPlan = { ...TEST_PLAN, recording: { policy: 'consent' } };
      const { last } = runMachine(consent, [...answered, { type: 'PlaybackFinished', playbackId: 'c1-consent', failed: false, at: 0 }]);
      expect(written(last)).toMatchObject({ stage: 'connected', recordingName: 'c1-rec', recordingStartedAt: new Date(9000) });
    });

    it('given the recording paused, then resumed, then the row follows its pause and the paused time', () => {
      expect(written(runMachine(plan, [...answered, pause]).last)).toEqual({ recordingName: 'c1-rec', recordingStartedAt: new Date(8000), recordingPausedMs: 0, recordingPausedAt: new Date(9000) });
      expect(written(runMachine(plan, [...answered, pause, resume]).last)).toMatchObject({ recordingPausedMs: 1000, recordingPausedAt: null });
    });

    it('given Asterisk refuses to record, then the row keeps no recording to resume', () => {
      const { last } = runMachine(plan, [...answered, { type: 'RecordingRequestFailed', request: 'record', error: 'Internal Server Error', at: 0 }]);
      expect(written(last)).toMatchObject({ recordingName: null });
    });

    it('given a route not recorded, then the row is written connected without a recording', () => {
      const { last } = runMachine(TEST_PLAN, answered);
      expect(Object.keys(written(last)).filter((k) => k.startsWith('recording'))).toEqual([]);
    });
  });

  describe('resuming', () => {
    it('given a connected call whose row names its recording, then it carries the recording on, and nothing is sent to Asterisk', () => {
      const { state, effects } = resumeCall(plan, connectedRow({ name: 'c1-rec', startedAt: 4000, pausedMs: 0 }), view(up, up), 10_000);
      expect(state.stage).toBe('connected');
      expect(state.recording).toEqual({ name: 'c1-rec', status: 'recording', startedAt: 4000, pausedMs: 0 });
      expect(recordingToggle(state)).toBe('pause');
      expect(effects).toEqual([]);
    });

    it('given the resumed call, when the customer hangs up, then the recording is stopped before its bridge goes and the final update names it stopped', () => {
      const { state } = resumeCall(plan, connectedRow({ name: 'c1-rec', startedAt: 4000, pausedMs: 0 }), view(up, up), 10_000);
      const ended = transition(state, hangup('target', 20_000));
      const order = types(ended.effects);
      expect(ended.effects).toContainEqual({ type: 'StopRecording', name: 'c1-rec' });
      expect(order.indexOf('StopRecording')).toBeLessThan(order.indexOf('DestroyBridge'));
      expect(finalUpdate(ended.state, 20_000).recording).toEqual({ name: 'c1-rec', status: 'stopped', startedAt: 4000, stoppedAt: 20_000, pausedMs: 0 });
    });

    it('given a row that says the recording is paused, then it resumes paused, the toggle offers resume, and its end adds the pause up to then', () => {
      const { state } = resumeCall(plan, connectedRow({ name: 'c1-rec', startedAt: 4000, pausedMs: 500, pausedAt: 6000 }), view(up, up), 10_000);
      expect(state.recording).toMatchObject({ status: 'paused', pausedMs: 500, pausedAt: 6000 });
      expect(recordingToggle(state)).toBe('resume');
      const ended = transition(state, { type: 'CancelRequested', by: 'agent', at: 16_000 });
      expect(ended.effects).toContainEqual({ type: 'StopRecording', name: 'c1-rec' });
      expect(finalUpdate(ended.state, 16_000).recording).toMatchObject({ name: 'c1-rec', status: 'stopped', pausedMs: 10_500 });
    });

    it('given a recorded call whose customer hung up while no instance followed it, then it resumes ended, stops the recording, and its final update names it stopped', () => {
      const { state, effects } = resumeCall(plan, connectedRow({ name: 'c1-rec', startedAt: 4000, pausedMs: 0 }), view(up, null), 10_000);
      expect(state.stage).toBe('ended');
      expect(effects).toContainEqual({ type: 'StopRecording', name: 'c1-rec' });
      expect(types(effects).indexOf('StopRecording')).toBeLessThan(types(effects).indexOf('DestroyBridge'));
      expect(finalUpdate(state, 10_000).recording).toMatchObject({ name: 'c1-rec', status: 'stopped' });
    });

    it('given a recorded call that gained a party, then it is rebuilt from its legs\' rows with the recording carried on', () => {
      const row: RecordedCall = {
        ...connectedRow({ name: 'c1-rec', startedAt: 4000, pausedMs: 0 }),
        legs: [
          { legId: 'agent', role: 'agent', agentId: 1, requestedAt: 0, answeredAt: 2000 },
          { legId: 'target', role: 'customer', requestedAt: 0, answeredAt: 4000 },
          { legId: 'p3', role: 'conferenced', number: '+12025550199', requestedAt: 10_000, answeredAt: 12_000 },
        ],
      };
      const asterisk: AsteriskView = {
        channels: { [ids.agentChannelId]: up, [ids.targetChannelId]: up, [p3]: up },
        bridges: { [ids.bridgeId]: { members: [ids.agentChannelId, ids.targetChannelId, p3] }, [ids.consultBridgeId]: null },
      };
      const { state } = resumeCall(plan, row, asterisk, 20_000);
      expect(state.legs).toHaveLength(3);
      expect(state.recording).toMatchObject({ name: 'c1-rec', status: 'recording' });
    });

    it('given a row with no recording, then the resumed call has none and its end stops nothing', () => {
      const { state } = resumeCall(plan, connectedRow(undefined), view(up, up), 10_000);
      expect(state.recording).toBeUndefined();
      expect(types(transition(state, hangup('target', 20_000)).effects)).not.toContain('StopRecording');
    });
  });
});
