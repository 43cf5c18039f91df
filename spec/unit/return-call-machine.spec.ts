import { type CallEffect, type CallEvent, type CallPlan, transition } from '../../call/call-machine';
import { candidatesAfter, routeReturnCall, type AgentAvailability, type EarlierCall, type ReturnCallQuestion } from '../../call/return-call-routing';
import { TEST_PLAN } from '../support/call-plan';
import { runMachine } from '../support/machine-run';

const CUSTOMER_CHANNEL = '1733500000.42';
const plan: CallPlan = {
  ...TEST_PLAN,
  callerId: null,
  customerLabel: '+12025550123',
  targetEndpoint: '',
  returnCall: {
    customerChannelId: CUSTOMER_CHANNEL,
    customerNumber: '+12025550123',
    calledNumber: '+15550001111',
    agents: [
      { agentId: 1, label: 'Alice', endpoint: 'PJSIP/+15551230001@trunk-main', reason: 'last_caller' },
      { agentId: 2, label: 'Bob', endpoint: 'PJSIP/+15551230002@trunk-main', reason: 'idle' },
    ],
    missedMessage: 'sound:vm-nobodyavail',
    missedMessageTimeoutS: 15,
  },
};

const ev = {
  started: { type: 'CallStarted', at: 0 } as CallEvent,
  ringing: (l: string): CallEvent => ({ type: 'LegRinging', leg: l, at: 0 }),
  answered: (l: string): CallEvent => ({ type: 'LegAnswered', leg: l, at: 0 }),
  stasis: (l: string): CallEvent => ({ type: 'LegEnteredStasis', leg: l, at: 0 }),
  ended: (l: string, cause: number | null = 16): CallEvent => ({ type: 'LegEnded', leg: l, cause, causeText: null, at: 0 }),
  timer: (timer: 'agent_ring' | 'agent_gone' | 'announcement'): CallEvent => ({ type: 'TimerExpired', timer, at: 0 }),
  missedPlayed: { type: 'PlaybackFinished', playbackId: 'c1-consent', failed: false, at: 0 } as CallEvent,
  originateFailed: { type: 'RequestFailed', request: 'originate agent', error: 'Allocation failed', at: 0 } as CallEvent,
  cancel: { type: 'CancelRequested', by: 'agent', at: 0 } as CallEvent,
};

const types = (effects: CallEffect[]) => effects.map((e) => e.type);
const of = <T extends CallEffect['type']>(effects: CallEffect[], type: T) => effects.filter((e): e is Extract<CallEffect, { type: T }> => e.type === type);

describe('a return call (a customer calling a pool number)', () => {
  describe('routing: who the customer reaches', () => {
    const DAY = 24 * 60 * 60 * 1000;
    const now = 100 * DAY;
    const call = (agentId: number, daysAgo: number, callerId = '+15550001111', route: 'M' | 'D' = 'M'): EarlierCall => ({
      callId: `call-${agentId}-${daysAgo}`, agentId, route, callerId, at: now - daysAgo * DAY,
    });
    const agent = (agentId: number, patch: Partial<AgentAvailability> = {}): AgentAvailability => ({
      agentId, route: 'M', reachable: true, busy: false, idleSince: now - agentId * 1000, ...patch,
    });
    const ask = (patch: Partial<ReturnCallQuestion>) => routeReturnCall({
      calledNumber: '+15550001111', poolRoutes: ['M'], earlierCalls: [], agents: [agent(1), agent(2), agent(3)], now, windowDays: 30, ...patch,
    });

    it('given a number outside the pool, then the call is refused', () => {
      expect(ask({ poolRoutes: [] })).toEqual({ kind: 'refused', reason: 'not_in_pool' });
    });

    it('given the customer was last called from that number by agent 2, then agent 2 is rung first, then the others on the route, longest idle first', () => {
      const routing = ask({ earlierCalls: [call(3, 10), call(2, 1)] });
      expect(routing).toMatchObject({ kind: 'route', route: 'M', lastCall: { agentId: 2 } });
      expect(routing.kind === 'route' && routing.candidates).toEqual([
        { agentId: 2, reason: 'last_caller' }, { agentId: 3, reason: 'caller' }, { agentId: 1, reason: 'idle' },
      ]);
    });

    it('given the last caller is busy, revoked or suspended, then the next agent who called the customer comes first', () => {
      for (const unavailable of [{ busy: true }, { reachable: false }]) {
        const routing = ask({ earlierCalls: [call(3, 10), call(2, 1)], agents: [agent(1), agent(2, unavailable), agent(3)] });
        expect(routing.kind === 'route' && routing.candidates.map((c) => c.agentId)).toEqual([3, 1]);
        expect(routing).toMatchObject({ lastCall: { agentId: 2 } });
      }
    });

    it('given calls older than the window or from another number, then nobody is the last caller and any free agent is rung, longest idle first', () => {
      const routing = ask({ earlierCalls: [call(2, 31), call(3, 1, '+15559990000')], agents: [agent(1, { idleSince: null }), agent(2), agent(3)] });
      expect(routing.kind === 'route' && routing.lastCall).toBeUndefined();
      expect(routing.kind === 'route' && routing.candidates).toEqual([
        { agentId: 3, reason: 'caller' }, { agentId: 1, reason: 'idle' }, { agentId: 2, reason: 'idle' },
      ]);
    });

    it('given agents of another route, then they are never rung', () => {
      const routing = ask({ earlierCalls: [call(2, 1)], agents: [agent(1, { route: 'D' }), agent(2)] });
      expect(routing.kind === 'route' && routing.candidates.map((c) => c.agentId)).toEqual([2]);
    });

    it('given nobody free, then the call is routed with no candidate (the customer hears the missed-call message)', () => {
      const routing = ask({ earlierCalls: [call(2, 1)], agents: [agent(2, { busy: true })] });
      expect(routing).toMatchObject({ kind: 'route', candidates: [], lastCall: { agentId: 2 } });
    });

    describe('after a restart or a take-over, with an agent still ringing', () => {
      const after = (ringing: number, rung: number[], patch: Partial<ReturnCallQuestion> = {}) => candidatesAfter({
        calledNumber: '+15550001111', route: 'M', earlierCalls: [call(3, 10), call(2, 1)], agents: [agent(1), agent(2), agent(3)], now, windowDays: 30, ...patch,
      }, ringing, rung);

      it('given the last caller rings (busy with this very call), then the call goes on to the candidates after them, in routing\'s order', () => {
        expect(after(2, [2], { agents: [agent(1), agent(2, { busy: true }), agent(3)] })).toEqual([{ agentId: 3, reason: 'caller' }, { agentId: 1, reason: 'idle' }]);
      });

      it('given a later candidate rings, then only those after them are left, and none the call rang already', () => {
        expect(after(3, [2, 3])).toEqual([{ agentId: 1, reason: 'idle' }]);
        expect(after(2, [2, 1])).toEqual([{ agentId: 3, reason: 'caller' }]);
      });

      it('given the ringing agent was the last candidate, then nobody is left (no answer is a missed call)', () => {
        expect(after(1, [2, 1])).toEqual([]);
      });

      it('given a next candidate went on a call or was revoked meanwhile, then they are left out', () => {
        expect(after(2, [2], { agents: [agent(1, { busy: true }), agent(2), agent(3, { reachable: false })] })).toEqual([]);
      });

      it('given the ringing agent left the route, then every free candidate not rung yet comes next', () => {
        expect(after(2, [2], { agents: [agent(1), agent(2, { route: 'D' }), agent(3)] })).toEqual([{ agentId: 3, reason: 'caller' }, { agentId: 1, reason: 'idle' }]);
      });
    });
  });

  describe('the call\'s steps', () => {
    it('given the call starts, then the customer hears ringing (not answered), the bridge is made and the first agent is rung with the customer\'s number', () => {
      const { state, effects } = runMachine(plan, [ev.started]);
      expect(types(effects)).toEqual(['RingLeg', 'CreateBridge', 'OriginateLeg', 'StartTimer', 'PersistCall', 'PublishUpdate']);
      expect(of(effects, 'RingLeg')).toEqual([{ type: 'RingLeg', channelId: CUSTOMER_CHANNEL }]);
      expect(of(effects, 'OriginateLeg')[0]).toMatchObject({ channelId: 'c1-agent', endpoint: 'PJSIP/+15551230001@trunk-main', callerId: '+12025550123' });
      expect(state.stage).toBe('agent_dialing');
      expect(types(effects)).not.toContain('AnswerLeg');
    });

    it('given the agent answers and enters Stasis, then both join the bridge, the customer is answered only then, and the call is connected', () => {
      const { state, effects, last } = runMachine(plan, [ev.started, ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent')]);
      expect(types(last).filter((t) => t !== 'PersistCall' && t !== 'PublishUpdate' && t !== 'CancelTimer')).toEqual(['AddToBridge', 'AnswerLeg', 'AddToBridge']);
      expect(of(last, 'AddToBridge').map((e) => e.channelId)).toEqual(['c1-agent', CUSTOMER_CHANNEL]);
      expect(of(effects, 'AnswerLeg')).toHaveLength(1);
      expect(state.stage).toBe('connected');
      expect(state.owner).toEqual({ agentId: 1, legId: 'agent' });
    });

    it('given the route records (policy on), when the agent answers, then the bridge is recorded once both are in it, and stopped at the end', () => {
      const recorded: CallPlan = { ...plan, recording: { policy: 'on' } };
      const { state, last } = runMachine(recorded, [ev.started, ev.answered('agent'), ev.stasis('agent')]);
      expect(types(last).filter((t) => t !== 'PersistCall' && t !== 'PublishUpdate' && t !== 'CancelTimer')).toEqual(['AddToBridge', 'AnswerLeg', 'AddToBridge', 'StartRecording']);
      expect(state).toMatchObject({ stage: 'connected', recording: { status: 'recording', name: 'c1-rec' } });
      const ended = transition(state, ev.ended('target'));
      expect(types(ended.effects)).toContain('StopRecording');
    });

    it('given the route asks consent, when the agent answers, then the customer is answered and hears the announcement alone, and joins, recorded, once it played', () => {
      const consent: CallPlan = { ...plan, recording: { policy: 'consent', announcement: 'sound:conf-now-recording' } };
      const { state, last } = runMachine(consent, [ev.started, ev.answered('agent'), ev.stasis('agent')]);
      expect(of(last, 'AddToBridge').map((e) => e.channelId)).toEqual(['c1-agent']);
      expect(of(last, 'AnswerLeg')).toEqual([{ type: 'AnswerLeg', channelId: CUSTOMER_CHANNEL }]);
      expect(of(last, 'PlayAnnouncement')).toEqual([{ type: 'PlayAnnouncement', channelId: CUSTOMER_CHANNEL, playbackId: 'c1-consent', media: 'sound:conf-now-recording' }]);
      expect(types(last)).not.toContain('StartRecording');
      const joined = transition(state, { type: 'PlaybackFinished', playbackId: 'c1-consent', failed: false, at: 5 });
      expect(types(joined.effects)).toEqual(expect.arrayContaining(['StartRecording', 'AddToBridge']));
      expect(of(joined.effects, 'AddToBridge').map((e) => e.channelId)).toEqual([CUSTOMER_CHANNEL]);
      expect(joined.state).toMatchObject({ stage: 'connected', recording: { status: 'recording' } });
    });

    it('given it is connected, when the customer hangs up, then the call ends completed and the agent\'s leg is hung up', () => {
      const { state, last } = runMachine(plan, [ev.started, ev.answered('agent'), ev.stasis('agent'), ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target' });
      expect(of(last, 'HangupLeg').map((e) => e.channelId)).toEqual(['c1-agent']);
      expect(of(last, 'DestroyBridge')).toHaveLength(1);
    });

    it.each<[string, CallEvent[]]>([
      ['is busy (17)', [ev.ended('agent', 17)]],
      ['is unreachable (the originate fails)', [ev.originateFailed]],
      ['rings out on Asterisk\'s side', [ev.ringing('agent'), ev.ended('agent', 19)]],
      ['does not answer within the ring timeout (hung up, then gone)', [ev.ringing('agent'), ev.timer('agent_ring'), ev.ended('agent')]],
      ['does not answer within the ring timeout and the hangup\'s event is lost', [ev.ringing('agent'), ev.timer('agent_ring'), ev.timer('agent_gone')]],
    ])('given the first agent %s, then the next agent is rung on the same leg, and answering joins them', (_why, fallback) => {
      const { state, effects } = runMachine(plan, [ev.started, ...fallback]);
      const originates = of(effects, 'OriginateLeg');
      expect(originates.map((e) => e.endpoint)).toEqual(['PJSIP/+15551230001@trunk-main', 'PJSIP/+15551230002@trunk-main']);
      expect(originates.map((e) => e.channelId)).toEqual(['c1-agent', 'c1-agent']);
      expect(state.owner.agentId).toBe(2);
      expect(state.plan.agentId).toBe(2);
      const joined = transition(state, { type: 'LegEnteredStasis', leg: 'agent', at: 99_000 });
      expect(joined.state.stage).toBe('connected');
      expect(joined.state.legs.find((l) => l.id === 'agent')).toMatchObject({ agentId: 2, label: 'Bob' });
    });

    it('given the ring timeout, then the ringing agent is hung up before the next is rung (one leg of the agent at a time)', () => {
      const { state, last } = runMachine(plan, [ev.started, ev.ringing('agent'), ev.timer('agent_ring')]);
      expect(types(last)).toEqual(['HangupLeg', 'StartTimer']);
      expect(state.returnCall?.phase).toBe('dropping');
    });

    it('given no agent answers, then the customer is answered for the missed-call message, and the call ends once it played, with the last try\'s outcome', () => {
      const { state, effects } = runMachine(plan, [ev.started, ev.ended('agent', 17), ev.ringing('agent'), ev.timer('agent_ring'), ev.ended('agent')]);
      const missed = effects.slice(-3);
      expect(missed).toEqual([
        { type: 'AnswerLeg', channelId: CUSTOMER_CHANNEL },
        { type: 'PlayAnnouncement', channelId: CUSTOMER_CHANNEL, playbackId: 'c1-consent', media: 'sound:vm-nobodyavail' },
        { type: 'StartTimer', timer: 'announcement', ms: 15_000 },
      ]);
      expect(state.stage).not.toBe('ended');
      const done = transition(state, { ...ev.missedPlayed, at: 9_000 });
      expect(done.state).toMatchObject({ stage: 'ended', outcome: 'agent_no_answer', endedBy: 'app' });
      expect(done.state.detail).toBe('return call missed: agent 1 agent_busy, agent 2 agent_no_answer');
      expect(of(done.effects, 'HangupLeg').map((e) => e.channelId)).toEqual([CUSTOMER_CHANNEL]);
      expect(of(done.effects, 'DestroyBridge')).toEqual([{ type: 'DestroyBridge', bridgeId: 'c1-bridge' }]);
    });

    it('given the missed-call message never reports its end, then the announcement timer ends the call', () => {
      const { state } = runMachine(plan, [ev.started, ev.ended('agent', 17), ev.ended('agent', 17), ev.timer('announcement')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'agent_busy' });
    });

    it('given nobody to ring at all, then the customer hears the missed-call message at once', () => {
      const nobody: CallPlan = { ...plan, returnCall: { ...plan.returnCall!, agents: [] } };
      const { state, effects } = runMachine(nobody, [ev.started]);
      expect(types(effects)).toEqual(['RingLeg', 'CreateBridge', 'AnswerLeg', 'PlayAnnouncement', 'StartTimer']);
      expect(transition(state, { ...ev.missedPlayed, at: 5_000 }).state).toMatchObject({ stage: 'ended', detail: 'return call missed: no agent was free' });
    });

    it('given the customer hangs up while an agent rings, then the call ends cancelled by the customer and the agent\'s leg is hung up', () => {
      const { state, last } = runMachine(plan, [ev.started, ev.ringing('agent'), ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'cancelled', endedBy: 'target' });
      expect(of(last, 'HangupLeg').map((e) => e.channelId)).toEqual(['c1-agent']);
    });

    it('given a request other than the agent\'s originate fails, then the call ends failed and everything is hung up', () => {
      const { state, last } = runMachine(plan, [ev.started, { type: 'RequestFailed', request: 'create bridge', error: 'boom', at: 0 }]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'failed' });
      expect(of(last, 'HangupLeg').map((e) => e.channelId).sort()).toEqual([CUSTOMER_CHANNEL, 'c1-agent'].sort());
    });

    it('given an outbound call, then none of this applies: the customer\'s leg is the call\'s own and idle', () => {
      const { state, effects } = runMachine(TEST_PLAN, [ev.started]);
      expect(state.returnCall).toBeUndefined();
      expect(types(effects)).not.toContain('RingLeg');
      expect(state.legs.find((l) => l.id === 'target')?.channelId).toBe('c1-target');
    });
  });

  describe('the announcement to the agent before the customer is joined (RETURN_CALL_ANNOUNCE)', () => {
    const announced = (how: 'off' | 'tone' | 'digits', customerNumber = '+12025550123'): CallPlan => ({
      ...plan, returnCall: { ...plan.returnCall!, customerNumber, agentAnnouncement: how },
    });
    const answeredBy = [ev.started, ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent')];
    const played = (failed = false): CallEvent => ({ type: 'PlaybackFinished', playbackId: 'c1-agent-announce', failed, at: 0 });

    it('given digits, when the agent answers, then the customer\'s number is read to the agent\'s channel alone, and the customer is neither answered nor joined yet', () => {
      const { state, last } = runMachine(announced('digits'), answeredBy);
      expect(of(last, 'PlayAnnouncement')).toEqual([{ type: 'PlayAnnouncement', channelId: 'c1-agent', playbackId: 'c1-agent-announce', media: 'digits:12025550123' }]);
      expect(of(last, 'StartTimer')).toEqual([{ type: 'StartTimer', timer: 'announcement', ms: 16_000 }]);
      expect(types(last)).not.toContain('AddToBridge');
      expect(types(last)).not.toContain('AnswerLeg');
      expect(state.stage).not.toBe('connected');
      expect(state.returnCall?.phase).toBe('announcing');
    });

    it('given the agent\'s announcement played, then both join the bridge, the customer is answered only then, and the call is connected', () => {
      const { state } = runMachine(announced('digits'), answeredBy);
      const joined = transition(state, { ...played(), at: 9_000 });
      expect(types(joined.effects).filter((t) => t !== 'PersistCall' && t !== 'PublishUpdate')).toEqual(['CancelTimer', 'AddToBridge', 'AnswerLeg', 'AddToBridge']);
      expect(of(joined.effects, 'CancelTimer')).toEqual([{ type: 'CancelTimer', timer: 'announcement' }]);
      expect(of(joined.effects, 'AddToBridge').map((e) => e.channelId)).toEqual(['c1-agent', CUSTOMER_CHANNEL]);
      expect(joined.state).toMatchObject({ stage: 'connected', times: { agentAnsweredAt: 3000, connectedAt: 9_000 } });
      expect(joined.state.returnCall).toBeUndefined();
    });

    it('given tone, or digits with no digits to read, then the agent hears a beep', () => {
      expect(of(runMachine(announced('tone'), answeredBy).last, 'PlayAnnouncement')[0]?.media).toBe('sound:beep');
      expect(of(runMachine(announced('digits', 'anonymous'), answeredBy).last, 'PlayAnnouncement')[0]?.media).toBe('sound:beep');
    });

    it('given off, then the agent is joined at once, as without the setting', () => {
      expect(runMachine(announced('off'), answeredBy).state.stage).toBe('connected');
    });

    it('given the announcement\'s end is never reported, or it could not be played, then the customer is joined anyway', () => {
      const { state } = runMachine(announced('digits'), answeredBy);
      expect(transition(state, ev.timer('announcement')).state.stage).toBe('connected');
      expect(transition(state, played(true)).state.stage).toBe('connected');
      expect(transition(state, { type: 'RecordingRequestFailed', request: 'announce', error: 'no such sound', at: 0 }).state.stage).toBe('connected');
    });

    it('given another playback ends, or the agent\'s channel is gone when the play is refused, then the customer stays unjoined', () => {
      const { state } = runMachine(announced('digits'), answeredBy);
      expect(transition(state, { type: 'PlaybackFinished', playbackId: 'c1-consent', failed: false, at: 0 }).state).toBe(state);
      expect(transition(state, { type: 'RecordingRequestFailed', request: 'announce', error: 'gone', channelGone: true, at: 0 }).state).toBe(state);
    });

    it('given the agent hangs up during the announcement, then the next agent is rung and the timer is cancelled', () => {
      const { state, last } = runMachine(announced('tone'), [...answeredBy, ev.ended('agent')]);
      expect(of(last, 'CancelTimer')).toEqual([{ type: 'CancelTimer', timer: 'announcement' }]);
      expect(of(last, 'OriginateLeg')[0]).toMatchObject({ endpoint: 'PJSIP/+15551230002@trunk-main' });
      expect(state.returnCall).toMatchObject({ phase: 'ringing', attempt: 1, tries: [{ agentId: 1, outcome: 'agent_hung_up' }] });
    });

    it('given the customer hangs up during the announcement, then the call ends cancelled and the agent\'s leg is hung up', () => {
      const { state, last } = runMachine(announced('digits'), [...answeredBy, ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'cancelled', endedBy: 'target' });
      expect(of(last, 'HangupLeg').map((e) => e.channelId)).toEqual(['c1-agent']);
    });

    it('given the route asks consent, then after the agent\'s announcement the customer hears the consent announcement alone, as without it', () => {
      const both: CallPlan = { ...announced('tone'), recording: { policy: 'consent', announcement: 'sound:conf-now-recording' } };
      const { state } = runMachine(both, answeredBy);
      const next = transition(state, played());
      expect(types(next.effects).indexOf('CancelTimer')).toBeLessThan(types(next.effects).indexOf('StartTimer'));
      expect(of(next.effects, 'PlayAnnouncement')).toEqual([{ type: 'PlayAnnouncement', channelId: CUSTOMER_CHANNEL, playbackId: 'c1-consent', media: 'sound:conf-now-recording' }]);
      expect(next.state.announcing).toBe(true);
    });
  });
});
