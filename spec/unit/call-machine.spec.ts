import {
  type CallEffect, type CallEvent, type CallPlan, CHANNEL_GONE_GRACE_MS, DIAL_HOLD_MS, TIMER_GRACE_MS,
  leg, talkSeconds, transition,
} from '../../call/call-machine';
import type { CallStage, LegName } from '../../call/call-types';
import { TEST_PLAN } from '../support/call-plan';
import { runMachine } from '../support/machine-run';

const plan: CallPlan = TEST_PLAN;
const confirmPlan: CallPlan = { ...plan, confirmDigit: '1' };

const at = () => 0;
const ev = {
  started: (): CallEvent => ({ type: 'CallStarted', at: at() }),
  ringing: (leg: LegName): CallEvent => ({ type: 'LegRinging', leg, at: at() }),
  answered: (leg: LegName): CallEvent => ({ type: 'LegAnswered', leg, at: at() }),
  stasis: (leg: LegName): CallEvent => ({ type: 'LegEnteredStasis', leg, at: at() }),
  ended: (leg: LegName, cause: number | null): CallEvent => ({ type: 'LegEnded', leg, cause, causeText: null, at: at() }),
  dtmf: (digit: string): CallEvent => ({ type: 'DtmfReceived', leg: 'agent', digit, at: at() }),
  cancel: (): CallEvent => ({ type: 'CancelRequested', by: 'agent', at: at() }),
  holdOver: (): CallEvent => ({ type: 'TimerExpired', timer: 'dial_hold', at: at() }),
};

/** Events are stamped one second apart in the order they are applied. */
const run = (events: CallEvent[], p: CallPlan = plan) => runMachine(p, events);

const LEG_EFFECTS: Partial<Record<CallEffect['type'], string>> = { OriginateLeg: 'Originate', CreateLeg: 'Create', DialLeg: 'Dial' };
const types = (effects: readonly CallEffect[]) => effects.map((e) => ('leg' in e ? `${LEG_EFFECTS[e.type]}:${e.leg}` : e.type));
const hungUp = (effects: CallEffect[]) => effects.flatMap((e) => (e.type === 'HangupLeg' ? [e.channelId] : []));

/** The target's channel, made at the start, has entered Stasis (it is Down, not dialed). */
const targetReady = ev.stasis('target');
const agentUp = [ev.started(), targetReady, ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent')];

/** Event sequences that bring a call to each live stage (agent_answered needs confirmPlan). */
const toStage: Record<Exclude<CallStage, 'ended'>, CallEvent[]> = {
  requested: [],
  agent_dialing: [ev.started()],
  agent_ringing: [ev.started(), targetReady, ev.ringing('agent')],
  agent_answered: agentUp,
  target_dialing: agentUp,
  target_ringing: [...agentUp, ev.ringing('target')],
  connected: [...agentUp, ev.ringing('target'), ev.answered('target')],
};

describe('call state machine', () => {
  describe('the happy path, agent first', () => {
    it('given a requested call, when started, then the agent is originated first, and the bridge and the target channel are made while it rings', () => {
      const { state, last } = run([ev.started()]);
      expect(state.stage).toBe('agent_dialing');
      expect(types(last)).toEqual(['Originate:agent', 'CreateBridge', 'Create:target', 'StartTimer', 'PersistCall', 'PublishUpdate']);
      expect(last[0]).toEqual({
        type: 'OriginateLeg', leg: 'agent', channelId: 'c1-agent', endpoint: plan.agentEndpoint,
        callerId: '+15550001111', timeoutS: 30, appArgs: 'agent,c1',
      });
      expect(last[1]).toEqual({ type: 'CreateBridge', bridgeId: 'c1-bridge' });
      // Made, not dialed: nothing reaches the customer's provider yet.
      expect(last[2]).toEqual({ type: 'CreateLeg', leg: 'target', channelId: 'c1-target', endpoint: plan.targetEndpoint, appArgs: 'target,c1' });
      expect(last).toContainEqual({ type: 'StartTimer', timer: 'agent_ring', ms: 30_000 + TIMER_GRACE_MS });
      expect(last).toContainEqual({ type: 'PersistCall', patch: { stage: 'agent_dialing' } });
    });

    it('given the target channel enters Stasis, then it joins the bridge, still undialed', () => {
      const { state, last } = run([ev.started(), targetReady]);
      expect(last).toEqual([{ type: 'AddToBridge', bridgeId: 'c1-bridge', channelId: 'c1-target' }]);
      expect(leg(state, 'target')).toMatchObject({ status: 'created', inStasis: true });
    });

    it('given the agent rings, then the stage and its time are recorded', () => {
      const { state, last } = run([ev.started(), targetReady, ev.ringing('agent')]);
      expect(state.stage).toBe('agent_ringing');
      expect(last).toEqual([
        { type: 'PersistCall', patch: { stage: 'agent_ringing', agentRingingAt: new Date(3000) } },
        { type: 'PublishUpdate', stage: 'agent_ringing', at: 3000 },
      ]);
    });

    it('given the agent answers, then dialing the target is the first and only request, through the same route, with the agent as the caller', () => {
      const { state, last } = run([ev.started(), targetReady, ev.ringing('agent'), ev.answered('agent')]);
      expect(state.stage).toBe('target_dialing');
      expect(types(last)).toEqual(['Dial:target', 'StartTimer', 'StartTimer', 'CancelTimer']);
      expect(last[0]).toEqual({ type: 'DialLeg', leg: 'target', channelId: 'c1-target', timeoutS: 45, callerChannelId: 'c1-agent' });
      expect(last[2]).toEqual({ type: 'StartTimer', timer: 'target_ring', ms: 45_000 + TIMER_GRACE_MS });
      // The write and the stream's update wait for the dial's hold (see 'the dial goes out alone').
      expect(types(state.held ?? [])).toEqual(['PersistCall', 'PublishUpdate']);
    });

    it('given the agent answers before the target channel is in Stasis, then the target is dialed as soon as it has joined the bridge', () => {
      const answered = run([ev.started(), ev.answered('agent')]);
      expect(answered.state.stage).toBe('target_dialing');
      expect(types(answered.last)).not.toContain('Dial:target');
      const { state, last } = run([ev.started(), ev.answered('agent'), targetReady]);
      expect(types(last)).toEqual(['AddToBridge', 'Dial:target', 'StartTimer']);
      expect(leg(state, 'target').status).toBe('dialing');
    });

    it('given the answered agent enters Stasis, then it joins the bridge and hears ringback, once the dial has gone out alone', () => {
      const { last } = run([ev.started(), targetReady, ev.answered('agent'), ev.stasis('agent'), ev.holdOver()]);
      expect(last).toEqual([
        { type: 'PersistCall', patch: { stage: 'target_dialing', agentAnsweredAt: new Date(3000) } },
        { type: 'PublishUpdate', stage: 'target_dialing', at: 3000 },
        { type: 'AddToBridge', bridgeId: 'c1-bridge', channelId: 'c1-agent' },
        { type: 'StartRingback', channelId: 'c1-agent', playbackId: 'c1-ringback' },
      ]);
    });

    it('given the target answers, then ringback stops and the call is connected: it is in the bridge already', () => {
      const { state, last } = run(toStage.connected);
      expect(state.stage).toBe('connected');
      expect(last).toEqual([
        { type: 'StopRingback', playbackId: 'c1-ringback' },
        { type: 'CancelTimer', timer: 'target_ring' },
        { type: 'PersistCall', patch: { stage: 'connected', connectedAt: new Date(7000) } },
        { type: 'PublishUpdate', stage: 'connected', at: 7000 },
      ]);
    });

    it.each<[LegName, LegName]>([['agent', 'target'], ['target', 'agent']])(
      'given a connected call, when the %s hangs up, then the %s is hung up, the bridge destroyed and the talk time kept',
      (leaver, other) => {
        const { state, last } = run([...toStage.connected, ev.ended(leaver, 16)]);
        expect(state).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: leaver, hangupCause: 16 });
        expect(hungUp(last)).toEqual([`c1-${other}`]);
        expect(last).toContainEqual({ type: 'DestroyBridge', bridgeId: 'c1-bridge' });
        expect(talkSeconds(state)).toBe(1);
      },
    );

    it('given duplicate signals (Dial ANSWER and ChannelStateChange Up, a repeated StasisStart), then each request is made once', () => {
      const { effects } = run([
        ev.started(), targetReady, targetReady, ev.answered('agent'), ev.answered('agent'), ev.stasis('agent'), ev.stasis('agent'),
        ev.answered('target'), ev.answered('target'),
      ]);
      const counts = types(effects).reduce<Record<string, number>>((n, t) => ({ ...n, [t]: (n[t] ?? 0) + 1 }), {});
      expect(counts).toMatchObject({ 'Dial:target': 1, 'Create:target': 1, AddToBridge: 2, StartRingback: 1, StopRingback: 1 });
    });

    it('given the answer event was lost, when the agent enters Stasis, then that counts as the answer', () => {
      const { state, effects } = run([ev.started(), targetReady, ev.stasis('agent'), ev.holdOver()]);
      expect(state.stage).toBe('target_dialing');
      expect(types(effects)).toContain('Dial:target');
      expect(types(effects).filter((t) => t === 'AddToBridge')).toHaveLength(2);
    });

    it('given the target channel is not yet in Stasis, then a target answer or ringing cannot come first and changes nothing', () => {
      const before = run([ev.started(), ev.answered('agent')]).state;
      expect(transition(before, ev.answered('target')).state).toBe(before);
      expect(transition(before, ev.ringing('target')).state).toBe(before);
    });
  });

  describe('outcomes of a leg that ends unanswered: decided by how far it got, then the cause', () => {
    const agentDialing = [ev.started()];
    const agentRinging = [ev.started(), ev.ringing('agent')];
    const targetDialing = toStage.target_dialing;
    const targetRinging = toStage.target_ringing;
    it.each([
      ['agent', 'dialing', agentDialing, 17, 'agent_busy'],
      ['agent', 'ringing', agentRinging, 17, 'agent_busy'],
      ['agent', 'ringing', agentRinging, 21, 'agent_busy'],
      ['agent', 'ringing', agentRinging, 0, 'agent_no_answer'],
      ['agent', 'ringing', agentRinging, 16, 'agent_no_answer'],
      ['agent', 'ringing', agentRinging, 19, 'agent_no_answer'], // 20/22: originate timeout
      ['agent', 'dialing', agentDialing, 19, 'agent_no_answer'],
      ['agent', 'dialing', agentDialing, 0, 'agent_unreachable'],
      ['agent', 'dialing', agentDialing, 34, 'agent_unreachable'],
      ['agent', 'dialing', agentDialing, null, 'agent_unreachable'],
      ['target', 'ringing', targetRinging, 16, 'target_no_answer'],
      ['target', 'ringing', targetRinging, 0, 'target_no_answer'],
      ['target', 'ringing', targetRinging, 19, 'target_no_answer'], // 20/22: dial timeout or a CANCEL
      ['target', 'dialing', targetDialing, 17, 'target_busy'],
      ['target', 'ringing', targetRinging, 17, 'target_busy'],
      ['target', 'dialing', targetDialing, 21, 'target_rejected'],
      ['target', 'dialing', targetDialing, 1, 'target_invalid_number'],
      ['target', 'dialing', targetDialing, 28, 'target_invalid_number'],
      ['target', 'dialing', targetDialing, 3, 'target_unreachable'],
      ['target', 'dialing', targetDialing, 38, 'target_unreachable'],
      ['target', 'dialing', targetDialing, 16, 'target_unreachable'],
    ] as const)('given the %s leg %s, when it ends with cause %p, then the outcome is %s', (leg, _reach, events, cause, outcome) => {
      const { state, last } = run([...events, ev.ended(leg, cause)]);
      expect(state).toMatchObject({ stage: 'ended', outcome, endedBy: leg, hangupCause: cause });
      expect(hungUp(last)).not.toContain(`c1-${leg}`);
      if (leg === 'target') expect(hungUp(last)).toEqual(['c1-agent']);
    });

    it('given the target channel ends before it was dialed, then the call fails and says so', () => {
      const { state, last } = run([ev.started(), targetReady, ev.ringing('agent'), ev.ended('target', 16)]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'failed', endedBy: 'target', failure: { kind: 'target_lost_before_dial' } });
      expect(hungUp(last)).toEqual(['c1-agent']);
    });

    it('given the agent ends unanswered, then the undialed target channel is hung up with it and the bridge destroyed', () => {
      const { last } = run([ev.started(), targetReady, ev.ringing('agent'), ev.ended('agent', 17)]);
      expect(hungUp(last)).toEqual(['c1-target']);
      expect(last).toContainEqual({ type: 'DestroyBridge', bridgeId: 'c1-bridge' });
    });

    it('given the agent answered and hangs up while the target rings, then the target is cancelled at once', () => {
      const { state, last } = run([...toStage.target_ringing, ev.ended('agent', 16)]);
      expect(state).toMatchObject({ outcome: 'agent_hung_up', endedBy: 'agent' });
      expect(hungUp(last)).toEqual(['c1-target']);
      expect(last).toContainEqual({ type: 'DestroyBridge', bridgeId: 'c1-bridge' });
    });
  });

  describe('cancel from outside works at every stage', () => {
    it.each(Object.keys(toStage) as Array<Exclude<CallStage, 'ended'>>)('given a call at %s, when cancelled, then it ends and every leg that exists is hung up', (stage) => {
      const before = run(toStage[stage]).state;
      const { state, last } = run([...toStage[stage], ev.cancel()]);
      expect(state.stage).toBe('ended');
      expect(state.outcome).toBe(stage === 'connected' ? 'completed' : 'cancelled');
      const expected = (['agent', 'target'] as const).filter((l) => leg(before, l).status !== 'idle').map((l) => `c1-${l}`);
      expect(hungUp(last)).toEqual(expected);
      expect(last.some((e) => e.type === 'DestroyBridge')).toBe(before.stage !== 'requested');
      const cancelled = last.flatMap((e) => (e.type === 'CancelTimer' ? [e.timer] : []));
      expect(cancelled).toEqual(expect.arrayContaining(['agent_ring', 'target_ring', 'confirm', 'agent_gone', 'target_gone', 'request_gone']));
    });

    it('given the call has ended, then any later event changes nothing', () => {
      const ended = run([...toStage.connected, ev.cancel()]);
      for (const event of [ev.ended('agent', 16), ev.cancel(), ev.stasis('target'), ev.dtmf('1')]) {
        const next = transition(ended.state, event);
        expect(next.state).toBe(ended.state);
        expect(next.effects).toEqual([]);
      }
    });
  });

  describe('our own timers, a safety net behind Asterisk', () => {
    it('given the agent still rings, when the agent timer fires, then the call ends as no answer and both channels are hung up', () => {
      const { state, last } = run([ev.started(), ev.ringing('agent'), { type: 'TimerExpired', timer: 'agent_ring', at: 99 }]);
      expect(state.outcome).toBe('agent_no_answer');
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-target']);
    });

    it('given the target still rings, when the target timer fires, then both legs are hung up and the outcome is no answer', () => {
      const { state, last } = run([...toStage.target_ringing, { type: 'TimerExpired', timer: 'target_ring', at: 99 }]);
      expect(state.outcome).toBe('target_no_answer');
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-target']);
    });

    it('given the target was due to be dialed but its channel never entered Stasis, when the target timer fires, then the call fails', () => {
      const { state, last } = run([ev.started(), ev.answered('agent'), { type: 'TimerExpired', timer: 'target_ring', at: 99 }]);
      expect(state).toMatchObject({ outcome: 'failed', detail: 'the target channel never became ready to dial' });
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-target']);
    });

    it('given a timer for a stage already passed, when it fires, then nothing happens', () => {
      const { state, last } = run([...toStage.connected, { type: 'TimerExpired', timer: 'target_ring', at: 99 }]);
      expect(state.stage).toBe('connected');
      expect(last).toEqual([]);
    });
  });

  describe('answer confirmation (AGENT_CONFIRM_DIGIT)', () => {
    const answered = agentUp;

    it('given confirmation is on, when the agent answers, then the target is not dialed until the digit comes', () => {
      const { state, effects } = run(answered, confirmPlan);
      expect(state.stage).toBe('agent_answered');
      expect(types(effects)).not.toContain('Dial:target');
      expect(effects).toContainEqual({ type: 'StartTimer', timer: 'confirm', ms: 5000 });
    });

    it('given a wrong digit, then nothing happens; given the right one, then the target is dialed with ringback', () => {
      const wrong = run([...answered, ev.dtmf('2')], confirmPlan);
      expect(wrong.last).toEqual([]);
      const right = run([...answered, ev.dtmf('1')], confirmPlan);
      expect(right.state.stage).toBe('target_dialing');
      expect(types(right.last)).toEqual(['Dial:target', 'StartTimer', 'StartTimer', 'CancelTimer']);
      expect(types(right.state.held ?? [])).toEqual(['StartRingback', 'PersistCall', 'PublishUpdate']);
    });

    it('given no digit in time, then the call ends as not confirmed and the customer is never dialed', () => {
      const { state, effects } = run([...answered, { type: 'TimerExpired', timer: 'confirm', at: 99 }], confirmPlan);
      expect(state.outcome).toBe('agent_not_confirmed');
      expect(types(effects)).not.toContain('Dial:target');
      expect(hungUp(effects)).toEqual(['c1-agent', 'c1-target']);
    });
  });

  describe('failures', () => {
    it('given an ARI request fails, then the call ends as failed with the error and every leg is hung up', () => {
      const { state, last } = run([...toStage.target_ringing, { type: 'RequestFailed', request: 'add to bridge', error: 'timeout after 5000 ms', at: 9 }]);
      expect(state).toMatchObject({
        outcome: 'failed', detail: 'add to bridge: timeout after 5000 ms',
        failure: { kind: 'request', request: 'add to bridge', error: 'timeout after 5000 ms' },
      });
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-target']);
    });

    it('given the ending, then the final write carries the outcome, who ended it and the cause', () => {
      const { last } = run([...toStage.connected, ev.ended('target', 16)]);
      expect(last.filter((e) => e.type === 'PersistCall').at(-1)).toEqual({
        type: 'PersistCall',
        patch: { stage: 'ended', outcome: 'completed', endedBy: 'target', hangupCause: 16, hangupCauseText: null, endedAt: new Date(8000) },
      });
    });
  });
  describe('the dial goes out alone', () => {
    const answered = [ev.started(), targetReady, ev.ringing('agent'), ev.answered('agent')];
    const requests = (effects: CallEffect[]) => types(effects).filter((t) => t !== 'StartTimer' && t !== 'CancelTimer');

    it('given the agent answers, then the target dial is the only effect besides timers, and the hold has its own timer', () => {
      const { last, state } = run(answered);
      expect(requests(last)).toEqual(['Dial:target']);
      expect(last).toContainEqual({ type: 'StartTimer', timer: 'dial_hold', ms: DIAL_HOLD_MS });
      expect(state.held).toBeDefined();
    });

    it('given the hold, when the agent enters Stasis meanwhile, then its join and ringback are held too, in order', () => {
      const { last, state } = run([...answered, ev.stasis('agent')]);
      expect(last).toEqual([]);
      expect(types(state.held ?? [])).toEqual(['PersistCall', 'PublishUpdate', 'AddToBridge', 'StartRingback']);
    });

    it('given the hold, when its timer fires, then the held effects go out in the order they were asked for and the hold is over', () => {
      const { last, state } = run([...answered, ev.stasis('agent'), ev.holdOver()]);
      expect(types(last)).toEqual(['PersistCall', 'PublishUpdate', 'AddToBridge', 'StartRingback']);
      expect(state.held).toBeUndefined();
      const after = transition(state, ev.holdOver());
      expect(after.effects).toEqual([]);
    });

    it('given the hold, when the target reports progress first, then the held effects go out before that progress is handled', () => {
      const { last, state } = run([...answered, ev.ringing('target')]);
      expect(types(last)).toEqual(['CancelTimer', 'PersistCall', 'PublishUpdate', 'PersistCall', 'PublishUpdate']);
      expect(last[0]).toEqual({ type: 'CancelTimer', timer: 'dial_hold' });
      expect(last.filter((e) => e.type === 'PublishUpdate').map((e) => 'stage' in e && e.stage)).toEqual(['target_dialing', 'target_ringing']);
      expect(state.held).toBeUndefined();
    });

    it('given the hold, when the agent hangs up, then the held effects go out and the teardown follows at once', () => {
      const { last, state } = run([...answered, ev.ended('agent', 16)]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'agent_hung_up' });
      expect(state.held).toBeUndefined();
      const kinds = types(last);
      expect(kinds.slice(0, 3)).toEqual(['CancelTimer', 'PersistCall', 'PublishUpdate']);
      expect(hungUp(last)).toEqual(['c1-target']);
      expect(kinds.at(-1)).toBe('PublishUpdate');
    });
  });

  describe('a request that finds its channel gone', () => {
    type RequestFailed = Extract<CallEvent, { type: 'RequestFailed' }>;
    const gone = (leg?: LegName): RequestFailed => ({
      type: 'RequestFailed', request: 'dial target', error: 'Channel not found', at: 0, channelGone: true, ...(leg ? { leg } : {}),
    });

    it('given a request about a leg finds its channel gone, then the call waits for the event that explains it', () => {
      const { state, last } = run([...toStage.target_dialing, gone('target')]);
      expect(state.stage).toBe('target_dialing');
      expect(last).toEqual([{ type: 'StartTimer', timer: 'target_gone', ms: CHANNEL_GONE_GRACE_MS }]);
    });

    it('given the ChannelDestroyed comes within the grace, then its cause decides the outcome', () => {
      const { state } = run([...toStage.target_dialing, gone('target'), ev.ended('target', 17)]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'target_busy', hangupCause: 17 });
    });

    it('given nothing comes within the grace, then that leg counts as ended with its cause unknown', () => {
      const { state } = run([...toStage.target_dialing, gone('target'), { type: 'TimerExpired', timer: 'target_gone', at: 0 }]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'target_unreachable', endedBy: 'target', hangupCause: null });
    });

    it('given a request about no leg finds its channel gone and nothing explains it, then the call fails with that request', () => {
      const { state } = run([ev.started(), { ...gone(), request: 'originate agent' }, { type: 'TimerExpired', timer: 'request_gone', at: 0 }]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'failed', detail: 'originate agent: Channel not found' });
    });

    it('given the request failed for another reason, then the call ends as failed at once', () => {
      const { state } = run([...toStage.target_dialing, { ...gone('target'), channelGone: false, error: 'Internal Server Error' }]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'failed', detail: 'dial target: Internal Server Error' });
    });
  });
});
