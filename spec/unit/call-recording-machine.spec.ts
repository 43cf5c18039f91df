import { type CallEffect, type CallEvent, type CallPlan, type CallState, transition } from '../../call/call-machine';
import { DEFAULT_CONSENT_ANNOUNCEMENT, recordingToggle } from '../../call/recording';
import { toCallUpdate } from '../../call/call-update';
import type { RecordingPolicy } from '../../call/call-types';
import { TEST_PLAN } from '../support/call-plan';
import { runMachine } from '../support/machine-run';

const ev = {
  started: { type: 'CallStarted', at: 0 } as CallEvent,
  stasis: (l: string): CallEvent => ({ type: 'LegEnteredStasis', leg: l, at: 0 }),
  ringing: (l: string): CallEvent => ({ type: 'LegRinging', leg: l, at: 0 }),
  answered: (l: string): CallEvent => ({ type: 'LegAnswered', leg: l, at: 0 }),
  ended: (l: string): CallEvent => ({ type: 'LegEnded', leg: l, cause: 16, causeText: null, at: 0 }),
  holdTimer: { type: 'TimerExpired', timer: 'dial_hold', at: 0 } as CallEvent,
  announced: (failed = false): CallEvent => ({ type: 'PlaybackFinished', playbackId: 'c1-consent', failed, at: 0 }),
  announcementTimer: { type: 'TimerExpired', timer: 'announcement', at: 0 } as CallEvent,
  pause: { type: 'RecordingPauseRequested', pause: true, by: '100', at: 0 } as CallEvent,
  resume: { type: 'RecordingPauseRequested', pause: false, by: '100', at: 0 } as CallEvent,
  refused: (request: 'record' | 'pause' | 'unpause' | 'announce', channelGone = false): CallEvent => ({
    type: 'RecordingRequestFailed', request, error: 'Internal Server Error', at: 0, ...(channelGone ? { channelGone } : {}),
  }),
  finished: (failure?: string): CallEvent => ({ type: 'RecordingEnded', name: 'c1-rec', at: 0, ...(failure ? { failure } : {}) }),
  cancel: { type: 'CancelRequested', by: 'agent', at: 0 } as CallEvent,
  transfer: {
    type: 'TransferRequested', mode: 'cold', by: '100', at: 0,
    party: { target: { kind: 'number', number: '+12025550199' }, label: '+12025550199', endpoint: 'PJSIP/+12025550199@trunk-main', callerId: null, ringTimeoutS: 20 },
  } as CallEvent,
};

/** Up to the customer's answer: agent answered, customer in Stasis, dialed, ringing. */
const upToAnswer = [ev.started, ev.stasis('target'), ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent'), ev.holdTimer, ev.ringing('target')];
const answered = [...upToAnswer, ev.answered('target')];

const plan = (policy: RecordingPolicy, announcement?: string): CallPlan => ({ ...TEST_PLAN, recording: { policy, ...(announcement ? { announcement } : {}) } });
const run = (p: CallPlan, events: CallEvent[]) => runMachine(p, events);
const types = (effects: CallEffect[]) => effects.map((e) => e.type);
const of = <T extends CallEffect['type']>(effects: CallEffect[], type: T) => effects.filter((e): e is Extract<CallEffect, { type: T }> => e.type === type);
/** The event's time in runMachine: the n-th event (1-based) is stamped n seconds. */
const at = (n: number) => n * 1000;

describe('the call\'s recording', () => {
  describe('by policy, when the customer answers', () => {
    it.each<[string, CallPlan, string[]]>([
      ['no policy', TEST_PLAN, []],
      ['off', plan('off'), []],
      ['on', plan('on'), ['StartRecording']],
    ])('given %s, then the call is connected and recorded as the policy says', (_name, p, expected) => {
      const { state, last } = run(p, answered);
      expect(state.stage).toBe('connected');
      expect(types(last).filter((t) => t.endsWith('Recording'))).toEqual(expected);
    });

    it('given on, then the main bridge is recorded as <callId>-rec once the customer is joined, and the view says recording since then', () => {
      const { state, last } = run(plan('on'), answered);
      expect(of(last, 'StartRecording')).toEqual([{ type: 'StartRecording', bridgeId: 'c1-bridge', name: 'c1-rec' }]);
      expect(types(last).indexOf('StopRingback')).toBeLessThan(types(last).indexOf('StartRecording'));
      expect(state.recording).toEqual({ name: 'c1-rec', status: 'recording', startedAt: at(answered.length), pausedMs: 0 });
    });
  });

  describe('with consent', () => {
    it('given consent, when the customer\'s channel enters Stasis, then it is not put in the bridge but dialed alone', () => {
      const { effects, state } = run(plan('consent'), upToAnswer);
      expect(of(effects, 'AddToBridge').map((e) => e.channelId)).toEqual(['c1-agent']);
      expect(of(effects, 'DialLeg').map((e) => e.channelId)).toEqual(['c1-target']);
      expect(state.legs[1]).toMatchObject({ inStasis: true, bridge: null });
    });

    it.each<[string, string | undefined, string]>([
      ['the route\'s announcement', 'sound:http://callbot:8080/media/announcement-M.wav', 'sound:http://callbot:8080/media/announcement-M.wav'],
      ['none recorded', undefined, DEFAULT_CONSENT_ANNOUNCEMENT],
    ])('given %s, when the customer answers, then they hear it alone while the agent keeps ringback, and nothing is recorded yet', (_name, announcement, media) => {
      const { state, last } = run(plan('consent', announcement), answered);
      expect(state.stage).toBe('target_ringing');
      expect(state.announcing).toBe(true);
      expect(state.ringbackPlaying).toBe(true);
      expect(last).toContainEqual({ type: 'PlayAnnouncement', channelId: 'c1-target', playbackId: 'c1-consent', media });
      expect(last).toContainEqual({ type: 'CancelTimer', timer: 'target_ring' });
      expect(types(last)).not.toContain('StopRingback');
      expect(types(last)).not.toContain('StartRecording');
      expect(state.recording).toBeUndefined();
      expect(last.at(-1)).toMatchObject({ type: 'PublishUpdate', stage: 'target_ringing' });
      expect(toCallUpdate({ callId: 'c1', agentId: 1, agentTelegramId: '100', agentPhone: '', target: '', route: 'M', callerId: null }, state.stage, state, 0).announcing).toBe(true);
    });

    it.each<[string, CallEvent]>([
      ['its PlaybackFinished', ev.announced()],
      ['its timer (the PlaybackFinished lost)', ev.announcementTimer],
    ])('given the announcement playing, when %s comes, then the customer joins the agent, ringback stops, the call is connected and recorded', (_name, event) => {
      const events = [...answered, event];
      const { state, last } = run(plan('consent'), events);
      expect(state.stage).toBe('connected');
      expect(state.times.connectedAt).toBe(at(events.length));
      // The recorder joins before the customer: the recording holds the customer's first words.
      expect(types(last)).toEqual(['CancelTimer', 'StopRingback', 'StartRecording', 'AddToBridge', 'PersistCall', 'PublishUpdate']);
      expect(of(last, 'AddToBridge')).toEqual([{ type: 'AddToBridge', bridgeId: 'c1-bridge', channelId: 'c1-target', afterRecording: true }]);
      expect(state.recording).toMatchObject({ name: 'c1-rec', status: 'recording', startedAt: at(events.length) });
    });

    it.each<[string, CallEvent]>([
      ['could not be played (PlaybackFinished failed)', ev.announced(true)],
      ['was refused by Asterisk', ev.refused('announce')],
    ])('given the announcement %s, then the customer is joined all the same and the call is not recorded, in words', (_name, event) => {
      const { state, last } = run(plan('consent'), [...answered, event]);
      expect(state.stage).toBe('connected');
      expect(types(last)).not.toContain('StartRecording');
      expect(state.recording).toMatchObject({ status: 'failed', failure: expect.stringMatching(/consent announcement.*not recorded/) });
    });

    it('given the announcement playing, when the play request finds the customer gone, then nothing changes until their hang-up arrives', () => {
      const { state } = run(plan('consent'), answered);
      expect(transition(state, ev.refused('announce', true)).effects).toEqual([]);
    });

    it('given the announcement playing, when the customer hangs up, then the call ends as a hang-up on answering, the agent hung up, nothing recorded', () => {
      const { state, last } = run(plan('consent'), [...answered, ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'target_rejected', endedBy: 'target' });
      expect(of(last, 'HangupLeg').map((e) => e.channelId)).toEqual(['c1-agent']);
      expect(last).toContainEqual({ type: 'CancelTimer', timer: 'announcement' });
      expect(types(last)).not.toContain('StopRecording');
      expect(state.recording).toBeUndefined();
      expect(state.announcing).toBeUndefined();
    });

    it('given the call connected, then a late PlaybackFinished or announcement timer changes nothing', () => {
      const { state } = run(plan('consent'), [...answered, ev.announced()]);
      expect(transition(state, ev.announced()).effects).toEqual([]);
      expect(transition(state, ev.announcementTimer).effects).toEqual([]);
    });
  });

  describe('pause and resume', () => {
    it.each<[string, CallEvent[], string[], string, number]>([
      ['recording, pause asked', [ev.pause], ['PauseRecording', 'PersistCall', 'PublishUpdate'], 'paused', 0],
      ['paused, resume asked', [ev.pause, ev.resume], ['UnpauseRecording', 'PersistCall', 'PublishUpdate'], 'recording', 1000],
      ['paused, pause asked again', [ev.pause, ev.pause], [], 'paused', 0],
      ['recording, resume asked', [ev.resume], [], 'recording', 0],
      ['paused twice', [ev.pause, ev.resume, ev.pause, ev.resume], ['UnpauseRecording', 'PersistCall', 'PublishUpdate'], 'recording', 2000],
    ])('given %s, then the requests, the status and the paused time follow', (_name, requests, effects, status, pausedMs) => {
      const { state, last } = run(plan('on'), [...answered, ...requests]);
      expect(types(last)).toEqual(effects);
      expect(state.recording).toMatchObject({ status, pausedMs });
    });

    it('given the recording paused, when the call ends, then the pause up to the end is added and the recording stopped', () => {
      const events = [...answered, ev.pause, ev.cancel];
      const { state, last } = run(plan('on'), events);
      expect(of(last, 'StopRecording')).toEqual([{ type: 'StopRecording', name: 'c1-rec' }]);
      expect(state.recording).toMatchObject({ status: 'stopped', pausedMs: 1000, stoppedAt: at(events.length) });
    });

    it.each<[string, CallPlan, CallEvent[]]>([
      ['a call not recorded', plan('off'), answered],
      ['a call not yet connected', plan('on'), upToAnswer],
      ['a recording that failed', plan('on'), [...answered, ev.refused('record')]],
    ])('given %s, then pause changes nothing and no toggle is offered', (_name, p, events) => {
      const { state } = run(p, events);
      expect(transition(state, ev.pause).effects).toEqual([]);
      expect(recordingToggle(state)).toBeUndefined();
    });

    it('given a connected recorded call, then the toggle offered is pause, then resume once paused', () => {
      expect(recordingToggle(run(plan('on'), answered).state)).toBe('pause');
      expect(recordingToggle(run(plan('on'), [...answered, ev.pause]).state)).toBe('resume');
    });
  });

  describe('failures never end the call', () => {
    it.each<[string, CallEvent[], Partial<NonNullable<CallState['recording']>>]>([
      ['record refused', [ev.refused('record')], { status: 'failed', failure: 'Asterisk refused to record: Internal Server Error' }],
      ['pause refused', [ev.pause, ev.refused('pause')], { status: 'recording', failure: 'Asterisk refused to pause: Internal Server Error' }],
      ['resume refused', [ev.pause, ev.resume, ev.refused('unpause')], { status: 'paused', failure: 'Asterisk refused to resume: Internal Server Error' }],
      ['Asterisk\'s RecordingFailed', [ev.finished('disk full')], { status: 'failed', failure: 'Asterisk stopped the recording: disk full' }],
      ['Asterisk\'s RecordingFinished', [ev.finished()], { status: 'stopped' }],
    ])('given %s, then the call stays connected and the view says what happened', (_name, events, view) => {
      const { state, last } = run(plan('on'), [...answered, ...events]);
      expect(state.stage).toBe('connected');
      expect(types(last)).not.toContain('HangupLeg');
      expect(state.recording).toMatchObject(view);
    });

    it('given a failed recording, when the call ends, then nothing is stopped and the view keeps the failure', () => {
      const { state, last } = run(plan('on'), [...answered, ev.refused('record'), ev.cancel]);
      expect(types(last)).not.toContain('StopRecording');
      expect(state.recording).toMatchObject({ status: 'failed' });
    });
  });

  describe('the end of the call', () => {
    it.each<[string, CallEvent]>([
      ['the customer hangs up', ev.ended('target')],
      ['the agent hangs up', ev.ended('agent')],
      ['the agent ends it', ev.cancel],
    ])('given a recorded call, when %s, then the recording is stopped before the bridge is destroyed', (_name, end) => {
      const { last } = run(plan('on'), [...answered, end]);
      const order = types(last);
      expect(order).toContain('StopRecording');
      expect(order.indexOf('StopRecording')).toBeLessThan(order.indexOf('DestroyBridge'));
    });

    it('given a recorded call that ended, then its final update carries the recording: name, stopped, start, stop and paused time', () => {
      const events = [...answered, ev.pause, ev.resume, ev.ended('target')];
      const { state } = run(plan('on'), events);
      const update = toCallUpdate({ callId: 'c1', agentId: 1, agentTelegramId: '100', agentPhone: '+15551230001', target: '+12025550123', route: 'M', callerId: null }, 'ended', state, at(events.length));
      expect(update.final).toBe(true);
      expect(update.recording).toEqual({ name: 'c1-rec', status: 'stopped', startedAt: at(answered.length), stoppedAt: at(events.length), pausedMs: 1000 });
      expect(update.talkSeconds).toBe(3);
    });

    it('given a call not recorded, then its updates say nothing of a recording', () => {
      const { state } = run(TEST_PLAN, [...answered, ev.ended('target')]);
      expect(toCallUpdate({ callId: 'c1', agentId: 1, agentTelegramId: '100', agentPhone: '', target: '', route: 'M', callerId: null }, 'ended', state, 0).recording).toBeUndefined();
    });

    it('given a recorded call transferred cold, then the same recording goes on (the main bridge) and stops at the call\'s end', () => {
      const events = [...answered, ev.transfer, ev.stasis('p3'), ev.answered('p3'), ev.ended('target')];
      const { state, effects } = run(plan('on'), events);
      expect(of(effects, 'StartRecording')).toHaveLength(1);
      expect(of(effects, 'StopRecording')).toEqual([{ type: 'StopRecording', name: 'c1-rec' }]);
      expect(state.recording).toMatchObject({ status: 'stopped', startedAt: at(answered.length), stoppedAt: at(events.length) });
    });

    it('given the call ended, then a late RecordingFinished changes nothing', () => {
      const { state } = run(plan('on'), [...answered, ev.cancel]);
      expect(transition(state, ev.finished()).effects).toEqual([]);
    });
  });
});
