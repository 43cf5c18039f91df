import {
  type CallEffect, type CallEvent, leg, transition,
} from '../../call/call-machine';
import { canAddParty, canFinishConsult, canTransfer, ownerOf, partiesOf } from '../../call/party-rules';
import type { ConsultEnd, PartyPlan } from '../../call/call-types';
import { TEST_PLAN } from '../support/call-plan';
import { runMachine } from '../support/machine-run';

const colleague: PartyPlan = {
  target: { kind: 'agent', agentId: 7 }, label: 'Bob', endpoint: 'PJSIP/+15551230007@trunk-main', callerId: '+15550001111', ringTimeoutS: 20,
};
const outside: PartyPlan = {
  target: { kind: 'number', number: '+12025550199' }, label: '+12025550199', endpoint: 'PJSIP/+12025550199@trunk-main', callerId: '+15550001111', ringTimeoutS: 20,
};

const ev = {
  stasis: (l: string): CallEvent => ({ type: 'LegEnteredStasis', leg: l, at: 0 }),
  ringing: (l: string): CallEvent => ({ type: 'LegRinging', leg: l, at: 0 }),
  answered: (l: string): CallEvent => ({ type: 'LegAnswered', leg: l, at: 0 }),
  ended: (l: string, cause: number | null = 16): CallEvent => ({ type: 'LegEnded', leg: l, cause, causeText: null, at: 0 }),
  cold: (party: PartyPlan = outside): CallEvent => ({ type: 'TransferRequested', mode: 'cold', party, by: '100', at: 0 }),
  warm: (party: PartyPlan = colleague): CallEvent => ({ type: 'TransferRequested', mode: 'warm', party, by: '100', at: 0 }),
  add: (party: PartyPlan = outside): CallEvent => ({ type: 'AddPartyRequested', party, by: '100', at: 0 }),
  finish: (how: ConsultEnd): CallEvent => ({ type: 'ConsultFinished', how, by: '100', at: 0 }),
  ringTimer: (l: string): CallEvent => ({ type: 'TimerExpired', timer: `party_ring:${l}`, at: 0 }),
};

const connected = [
  { type: 'CallStarted', at: 0 } as CallEvent, ev.stasis('target'), ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent'),
  { type: 'TimerExpired', timer: 'dial_hold', at: 0 } as CallEvent, ev.ringing('target'), ev.answered('target'),
];

const run = (events: CallEvent[]) => runMachine(TEST_PLAN, events);

const hungUp = (effects: CallEffect[]) => effects.flatMap((e) => (e.type === 'HangupLeg' ? [e.channelId] : []));
const steps = (effects: CallEffect[]) => effects.flatMap((e) => (e.type === 'RecordStep' ? [e.step.kind] : []));
const of = <T extends CallEffect['type']>(effects: CallEffect[], type: T) => effects.filter((e): e is Extract<CallEffect, { type: T }> => e.type === type);

/** A party asked for, its channel in Stasis and ringing. */
const ringingP3 = (request: CallEvent) => [...connected, request, ev.stasis('p3'), ev.ringing('p3')];

describe('a call of more than two parties', () => {
  describe('what a connected call allows', () => {
    it('given a call not yet connected, then no transfer, party or consultation end is allowed, and a request changes nothing', () => {
      const { state } = run(connected.slice(0, 5));
      expect([canTransfer(state), canAddParty(state), canFinishConsult(state)]).toEqual([false, false, false]);
      expect(transition(state, ev.cold()).effects).toEqual([]);
    });

    it('given a connected call, then transfer and add are allowed, and its owner is the agent who placed it', () => {
      const { state } = run(connected);
      expect([canTransfer(state), canAddParty(state), canFinishConsult(state)]).toEqual([true, true, false]);
      expect(ownerOf(state)).toEqual({ agentId: 1, legId: 'agent' });
    });

    it('given a transfer under way, then another is not allowed and a second request changes nothing', () => {
      const { state } = run([...connected, ev.cold()]);
      expect([canTransfer(state), canAddParty(state)]).toEqual([false, false]);
      expect(transition(state, ev.add()).effects).toEqual([]);
    });
  });

  describe('cold transfer', () => {
    it('given a connected call, when a cold transfer is asked, then the party\'s channel is made with the org\'s caller ID, the customer hears ringback, and the step is recorded', () => {
      const { state, last } = run([...connected, ev.cold()]);
      expect(state.stage).toBe('connected');
      expect(last).toContainEqual({
        type: 'CreateLeg', leg: 'p3', channelId: 'c1-p3', endpoint: outside.endpoint, appArgs: 'p3,c1', callerId: '+15550001111',
      });
      expect(last).toContainEqual({ type: 'StartRingback', channelId: 'c1-target', playbackId: 'c1-p3-ringback' });
      expect(last).toContainEqual({ type: 'StartTimer', timer: 'party_ring:p3', ms: 25_000 });
      expect(steps(last)).toEqual(['transfer_started']);
      // The record gets every leg from the first step on.
      expect(of(last, 'PersistLeg').map((e) => e.legId)).toEqual(['agent', 'target', 'p3']);
      expect(last.at(-1)).toMatchObject({ type: 'PublishUpdate', stage: 'connected' });
    });

    it('given a party planned with another caller ID, then the leg still carries the call\'s own', () => {
      const { last } = run([...connected, ev.cold({ ...outside, callerId: '+12025550123' })]);
      expect(last).toContainEqual(expect.objectContaining({ type: 'CreateLeg', leg: 'p3', callerId: '+15550001111' }));
    });

    it('given the party\'s channel enters Stasis, then it joins the main bridge and is dialed with the agent as caller', () => {
      const { last } = run([...connected, ev.cold(), ev.stasis('p3')]);
      expect(last).toEqual([
        { type: 'AddToBridge', bridgeId: 'c1-bridge', channelId: 'c1-p3' },
        { type: 'DialLeg', leg: 'p3', channelId: 'c1-p3', timeoutS: 20, callerChannelId: 'c1-agent' },
      ]);
    });

    it('given the party answers, then ringback stops, the agent\'s leg is hung up, and the customer talks with the party', () => {
      const { state, last } = run([...ringingP3(ev.cold(colleague)), ev.answered('p3')]);
      expect(last).toContainEqual({ type: 'StopRingback', playbackId: 'c1-p3-ringback' });
      expect(hungUp(last)).toEqual(['c1-agent']);
      expect(steps(last)).toEqual(['transfer_completed', 'owner_changed']);
      expect(ownerOf(state)).toEqual({ agentId: 7, legId: 'p3' });
      expect(partiesOf(state).map((p) => [p.legId, p.status])).toEqual([['agent', 'ended'], ['target', 'up'], ['p3', 'up']]);
    });

    it('given a transfer to a number answered, then the call goes on with the owner unchanged and no owner leg', () => {
      const { state } = run([...ringingP3(ev.cold()), ev.answered('p3')]);
      expect(ownerOf(state)).toEqual({ agentId: 1, legId: null });
      expect(state.stage).toBe('connected');
    });

    it.each([
      ['busy', ev.ended('p3', 17)],
      ['no answer (our timer)', ev.ringTimer('p3')],
      ['a refused request', { type: 'RequestFailed', request: 'dial p3', error: 'Internal Server Error', at: 0, leg: 'p3' } as CallEvent],
    ])('given the party fails (%s), then ringback stops, the step says so, and the agent and the customer go on', (_how, failure) => {
      const { state, last } = run([...ringingP3(ev.cold()), failure]);
      expect(last).toContainEqual({ type: 'StopRingback', playbackId: 'c1-p3-ringback' });
      expect(steps(last)).toEqual(['transfer_failed']);
      expect(state.stage).toBe('connected');
      expect(hungUp(last)).not.toContain('c1-agent');
      expect(canTransfer(state)).toBe(true);
    });

    it('given the agent hangs up before the party\'s channel is ready, then the party is never dialed (it would be called as Anonymous) and the customer, alone, is hung up', () => {
      const { state, last } = run([...connected, ev.cold(), ev.ended('agent'), ev.stasis('p3')]);
      expect(of(last, 'DialLeg')).toEqual([]);
      expect(hungUp(last)).toEqual(expect.arrayContaining(['c1-p3', 'c1-target']));
      expect(steps(last)).toContain('transfer_failed');
      expect(state.stage).toBe('ended');
    });

    it('given the party\'s channel is ready while the agent is on the line, then every dial names the agent\'s channel as caller', () => {
      const { effects } = run([...connected, ev.cold(), ev.stasis('p3')]);
      expect(of(effects, 'DialLeg').filter((d) => d.leg === 'p3')).toEqual([expect.objectContaining({ callerChannelId: 'c1-agent' })]);
    });

    it('given the agent hangs up while the party rings, then the call goes on and the customer keeps hearing ringback', () => {
      const { state, last } = run([...ringingP3(ev.cold()), ev.ended('agent')]);
      expect(state.stage).toBe('connected');
      expect(of(last, 'StopRingback')).toEqual([]);
      expect(steps(last)).toEqual(['party_left']);
    });

    it('given the agent has left, when the party then fails, then the customer is alone and the call ends', () => {
      const { state, last } = run([...ringingP3(ev.cold()), ev.ended('agent'), ev.ended('p3', 17)]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'completed' });
      expect(hungUp(last)).toEqual(['c1-target']);
    });

    it('given the customer hangs up while the party rings, then the call ends and every leg is hung up', () => {
      const { state, last } = run([...ringingP3(ev.cold()), ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target' });
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-p3']);
      expect(last).toContainEqual({ type: 'CancelTimer', timer: 'party_ring:p3' });
    });

    it.each([['the customer', 'target', ['c1-p3']], ['the party', 'p3', ['c1-target']]])(
      'given a completed transfer, when %s hangs up, then the call ends',
      (_who, leaver, rest) => {
        const { state, last } = run([...ringingP3(ev.cold()), ev.answered('p3'), ev.ended(leaver)]);
        expect(state).toMatchObject({ stage: 'ended', outcome: 'completed' });
        expect(hungUp(last)).toEqual(rest);
        expect(of(last, 'DestroyBridge').map((e) => e.bridgeId)).toEqual(['c1-bridge']);
      },
    );
  });

  describe('warm transfer: consultation', () => {
    it('given a connected call, when a warm transfer is asked, then the agent moves to a consult bridge, the customer hears music, and the party is made there', () => {
      const { state, last } = run([...connected, ev.warm()]);
      expect(last.slice(0, 3)).toEqual([
        { type: 'CreateBridge', bridgeId: 'c1-consult' },
        { type: 'MoveToBridge', channelId: 'c1-agent', from: 'c1-bridge', to: 'c1-consult' },
        { type: 'StartHoldMusic', bridgeId: 'c1-bridge' },
      ]);
      expect(last).toContainEqual({ type: 'StartRingback', channelId: 'c1-agent', playbackId: 'c1-p3-ringback' });
      expect(leg(state, 'target').status).toBe('held');
      const { last: joined } = run([...connected, ev.warm(), ev.stasis('p3')]);
      expect(joined[0]).toEqual({ type: 'AddToBridge', bridgeId: 'c1-consult', channelId: 'c1-p3' });
    });

    it('given the consulted party answers, then ringback stops and only a finished consultation changes the call', () => {
      const { state, last } = run([...ringingP3(ev.warm()), ev.answered('p3')]);
      expect(last).toContainEqual({ type: 'StopRingback', playbackId: 'c1-p3-ringback' });
      expect(hungUp(last)).toEqual([]);
      expect([canFinishConsult(state, 'complete'), canFinishConsult(state, 'back'), canTransfer(state)]).toEqual([true, true, false]);
    });

    it('given a consultation, when completed, then the party joins the customer, the music stops, the agent leaves and the consult bridge goes', () => {
      const { state, last } = run([...ringingP3(ev.warm()), ev.answered('p3'), ev.finish('complete')]);
      expect(last.filter((e) => e.type !== 'RecordStep' && e.type !== 'PersistLeg' && e.type !== 'PublishUpdate')).toEqual([
        { type: 'MoveToBridge', channelId: 'c1-p3', from: 'c1-consult', to: 'c1-bridge' },
        { type: 'StopHoldMusic', bridgeId: 'c1-bridge' },
        { type: 'DestroyBridge', bridgeId: 'c1-consult' },
        { type: 'HangupLeg', channelId: 'c1-agent' },
        { type: 'PersistCall', patch: { onCallAgentId: 7 } },
      ]);
      expect(steps(last)).toEqual(['consult_ended', 'transfer_completed', 'owner_changed']);
      expect(ownerOf(state)).toEqual({ agentId: 7, legId: 'p3' });
      expect(leg(state, 'target').status).toBe('up');
      expect(state.bridges).toEqual(['main']);
    });

    it.each([
      ['completed with a colleague', colleague, 'complete', 'agent'],
      ['completed with a number', outside, 'complete', 'conferenced'],
      ['turned conference', colleague, 'conference', 'conferenced'],
    ] as const)('given a consultation %s, then the consulted leg\'s new role is written to its record', (_how, party, how, role) => {
      const { state, last } = run([...ringingP3(ev.warm(party)), ev.answered('p3'), ev.finish(how)]);
      expect(leg(state, 'p3').role).toBe(role);
      expect(of(last, 'PersistLeg').filter((e) => e.legId === 'p3').map((e) => e.patch.role)).toContain(role);
    });

    it('given a consultation, when the agent goes back, then the party is hung up and the agent returns to the customer', () => {
      const { state, last } = run([...ringingP3(ev.warm()), ev.answered('p3'), ev.finish('back')]);
      expect(hungUp(last)).toEqual(['c1-p3']);
      expect(last).toContainEqual({ type: 'MoveToBridge', channelId: 'c1-agent', from: 'c1-consult', to: 'c1-bridge' });
      expect(last).toContainEqual({ type: 'StopHoldMusic', bridgeId: 'c1-bridge' });
      expect(last).toContainEqual({ type: 'DestroyBridge', bridgeId: 'c1-consult' });
      expect(ownerOf(state)).toEqual({ agentId: 1, legId: 'agent' });
      expect(canTransfer(state)).toBe(true);
    });

    it('given a consultation, when all three join, then both move to the main bridge and the party is conferenced', () => {
      const { state, last } = run([...ringingP3(ev.warm()), ev.answered('p3'), ev.finish('conference')]);
      expect(of(last, 'MoveToBridge').map((e) => e.channelId)).toEqual(['c1-p3', 'c1-agent']);
      expect(hungUp(last)).toEqual([]);
      expect(leg(state, 'p3').role).toBe('conferenced');
      expect(partiesOf(state).filter((p) => p.status === 'up')).toHaveLength(3);
    });

    it('given a consulted party still ringing, then complete and conference are not allowed, but back is', () => {
      const { state } = run(ringingP3(ev.warm()));
      expect([canFinishConsult(state, 'complete'), canFinishConsult(state, 'conference'), canFinishConsult(state, 'back')]).toEqual([false, false, true]);
      const back = transition(state, ev.finish('back'));
      expect(hungUp(back.effects)).toEqual(['c1-p3']);
      expect(back.effects).toContainEqual({ type: 'StopRingback', playbackId: 'c1-p3-ringback' });
    });

    it.each([
      ['hangs up after answering', [ev.answered('p3'), ev.ended('p3')]],
      ['does not answer', [ev.ringTimer('p3')]],
      ['is busy', [ev.ended('p3', 17)]],
    ])('given the consulted party %s, then the agent is back with the customer', (_how, events) => {
      const { state, last } = run([...ringingP3(ev.warm()), ...events]);
      expect(last).toContainEqual({ type: 'MoveToBridge', channelId: 'c1-agent', from: 'c1-consult', to: 'c1-bridge' });
      expect(last).toContainEqual({ type: 'StopHoldMusic', bridgeId: 'c1-bridge' });
      expect(state.stage).toBe('connected');
      expect(leg(state, 'target').status).toBe('up');
    });

    it.each([
      ['the consulted party', 'p3', 'connected'],
      ['the agent', 'agent', 'connected'],
      ['the customer', 'target', 'ended'],
    ])('given a consultation turned conference, when %s leaves, then the call is %s', (_who, leaver, stage) => {
      const { state } = run([...ringingP3(ev.warm()), ev.answered('p3'), ev.finish('conference'), ev.ended(leaver)]);
      expect(state.stage).toBe(stage);
    });

    it.each([['the customer', 'target'], ['the party who took it', 'p3']])('given a completed consultation, when %s hangs up, then the call ends', (_who, leaver) => {
      const { state } = run([...ringingP3(ev.warm()), ev.answered('p3'), ev.finish('complete'), ev.ended(leaver)]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'completed' });
    });

    it('given the consulted party is up, when the agent hangs up, then the customer is joined with the party', () => {
      const { state, last } = run([...ringingP3(ev.warm()), ev.answered('p3'), ev.ended('agent')]);
      expect(state.stage).toBe('connected');
      expect(last).toContainEqual({ type: 'MoveToBridge', channelId: 'c1-p3', from: 'c1-consult', to: 'c1-bridge' });
      expect(ownerOf(state)).toEqual({ agentId: 7, legId: 'p3' });
    });

    it('given the consulted party still rings, when the agent hangs up, then the call ends and both bridges go', () => {
      const { state, last } = run([...ringingP3(ev.warm()), ev.ended('agent')]);
      expect(state.stage).toBe('ended');
      expect(hungUp(last)).toEqual(['c1-target', 'c1-p3']);
      expect(of(last, 'DestroyBridge').map((e) => e.bridgeId)).toEqual(['c1-bridge', 'c1-consult']);
    });

    it.each([['rings', []], ['is up', [ev.answered('p3')]]])('given the consulted party %s, when the customer hangs up, then the call ends', (_s, events) => {
      const { state, last } = run([...ringingP3(ev.warm()), ...events, ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', endedBy: 'target' });
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-p3']);
      expect(of(last, 'DestroyBridge').map((e) => e.bridgeId)).toEqual(['c1-bridge', 'c1-consult']);
    });
  });

  describe('the agent on the call (whom the one-live-call rule holds)', () => {
    const onCall = (effects: CallEffect[]) => of(effects, 'PersistCall').flatMap((e) => ('onCallAgentId' in e.patch ? [e.patch.onCallAgentId] : []));
    it.each([
      ['a cold transfer to a colleague answered', [7], [ev.cold(colleague), ev.stasis('p3'), ev.ringing('p3'), ev.answered('p3')]],
      ['a cold transfer to a number answered', [null], [ev.cold(), ev.stasis('p3'), ev.ringing('p3'), ev.answered('p3')]],
      ['the agent leaving while a cold transfer rings', [null], [ev.cold(), ev.stasis('p3'), ev.ringing('p3'), ev.ended('agent')]],
      ['the agent leaving a cold transfer to a colleague, who then answers', [null, 7], [ev.cold(colleague), ev.stasis('p3'), ev.ringing('p3'), ev.ended('agent'), ev.answered('p3')]],
      ['a consultation with a colleague completed', [7], [...ringingP3(ev.warm()).slice(connected.length), ev.answered('p3'), ev.finish('complete')]],
      ['a consultation with a number completed', [null], [...ringingP3(ev.warm(outside)).slice(connected.length), ev.answered('p3'), ev.finish('complete')]],
      ['the agent leaving a consultation with a number that answered', [null], [...ringingP3(ev.warm(outside)).slice(connected.length), ev.answered('p3'), ev.ended('agent')]],
      ['a consultation given up', [], [...ringingP3(ev.warm()).slice(connected.length), ev.answered('p3'), ev.finish('back')]],
      ['a consultation turned conference', [], [...ringingP3(ev.warm()).slice(connected.length), ev.answered('p3'), ev.finish('conference')]],
      ['a party added who answered', [], [ev.add(), ev.stasis('p3'), ev.ringing('p3'), ev.answered('p3')]],
      ['three talking with a colleague, when the owner leaves', [7], [ev.add(colleague), ev.stasis('p3'), ev.ringing('p3'), ev.answered('p3'), ev.ended('agent')]],
    ] as const)('given %s, then the agents on the call written are %j', (_given, expected, events) => {
      const { effects } = run([...connected, ...events]);
      expect(onCall(effects)).toEqual(expected);
    });

    it('given a two-party call from request to end, then the agent on the call is never written (the placer stays on it)', () => {
      const { effects } = run([...connected, ev.ended('target')]);
      expect(onCall(effects)).toEqual([]);
    });
  });

  describe('conference', () => {
    const three = [...ringingP3(ev.add()), ev.answered('p3')];

    it('given a connected call, when a party is added, then it joins the main bridge and the agent hears ringback while it rings', () => {
      const { last } = run([...connected, ev.add()]);
      expect(last).toContainEqual({ type: 'StartRingback', channelId: 'c1-agent', playbackId: 'c1-p3-ringback' });
      expect(steps(last)).toEqual(['party_added']);
      const { last: joined } = run([...connected, ev.add(), ev.stasis('p3')]);
      expect(joined[0]).toEqual({ type: 'AddToBridge', bridgeId: 'c1-bridge', channelId: 'c1-p3' });
    });

    it('given the added party answers, then three talk and another party may be added', () => {
      const { state, last } = run(three);
      expect(last).toContainEqual({ type: 'StopRingback', playbackId: 'c1-p3-ringback' });
      expect(partiesOf(state).map((p) => [p.role, p.status])).toEqual([['agent', 'up'], ['customer', 'up'], ['conferenced', 'up']]);
      expect(canAddParty(state)).toBe(true);
    });

    it('given the added party fails, then the call goes on between agent and customer', () => {
      const { state, last } = run([...ringingP3(ev.add()), ev.ended('p3', 17)]);
      expect(state.stage).toBe('connected');
      expect(steps(last)).toEqual(['party_left']);
      expect(hungUp(last)).toEqual([]);
    });

    it('given three talk, when the added party leaves, then agent and customer go on', () => {
      const { state, last } = run([...three, ev.ended('p3')]);
      expect(state.stage).toBe('connected');
      expect(steps(last)).toEqual(['party_left']);
    });

    it('given three talk with an outside party, when the agent leaves, then the call ends: the customer is not left with outsiders only', () => {
      const { state, last } = run([...three, ev.ended('agent')]);
      expect(state).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'agent' });
      expect(hungUp(last)).toEqual(['c1-target', 'c1-p3']);
    });

    it('given three talk with another agent, when the owner leaves, then that agent owns the call and it goes on', () => {
      const { state, last } = run([...ringingP3(ev.add(colleague)), ev.answered('p3'), ev.ended('agent')]);
      expect(state.stage).toBe('connected');
      expect(steps(last)).toEqual(['party_left', 'owner_changed']);
      expect(ownerOf(state)).toEqual({ agentId: 7, legId: 'p3' });
    });

    it('given three talk, when the customer leaves, then the call ends', () => {
      const { state, last } = run([...three, ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', endedBy: 'target' });
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-p3']);
    });

    it('given a party still ringing, when the agent leaves, then the call ends', () => {
      const { state, last } = run([...ringingP3(ev.add()), ev.ended('agent')]);
      expect(state.stage).toBe('ended');
      expect(hungUp(last)).toEqual(['c1-target', 'c1-p3']);
    });

    it('given a party still ringing, when the customer leaves, then the call ends and the ringing party is hung up', () => {
      const { state, last } = run([...ringingP3(ev.add()), ev.ended('target')]);
      expect(state).toMatchObject({ stage: 'ended', endedBy: 'target' });
      expect(hungUp(last)).toEqual(['c1-agent', 'c1-p3']);
    });

    it('given a request about the added party finds its channel gone, then a grace timer stands in for its end, and then it has left', () => {
      const gone: CallEvent = { type: 'RequestFailed', request: 'dial p3', error: 'Channel not found', at: 0, channelGone: true, leg: 'p3' };
      const waiting = run([...ringingP3(ev.add()), gone]);
      expect(waiting.last).toEqual([{ type: 'StartTimer', timer: 'party_gone:p3', ms: 1000 }]);
      const { state, last } = run([...ringingP3(ev.add()), gone, { type: 'TimerExpired', timer: 'party_gone:p3', at: 0 }]);
      expect(state.stage).toBe('connected');
      expect(steps(last)).toEqual(['party_left']);
    });

    it('given a taken-over call finds the added party gone unseen, then it has left and the call goes on', () => {
      const { state, last } = run([...three, { type: 'LegGoneUnseen', leg: 'p3', at: 0 }]);
      expect(state.stage).toBe('connected');
      expect(steps(last)).toEqual(['party_left']);
    });

    it('given a call that ends, then every added leg\'s record gets its end and the first two their whole record', () => {
      const { last } = run([...three, ev.ended('target')]);
      const records = of(last, 'PersistLeg');
      expect(records.map((r) => r.legId)).toEqual(expect.arrayContaining(['agent', 'target', 'p3']));
      expect(records.find((r) => r.legId === 'target')?.patch).toMatchObject({ role: 'customer', hangupCause: 16 });
    });
  });

  describe('a party\'s early media (its network plays ringback or an announcement before answering)', () => {
    const progress = (l: string): CallEvent => ({ type: 'LegRinging', leg: l, at: 0, earlyMedia: true });

    it('given a consultation, when the consulted party\'s channel reports Dial PROGRESS, then the agent\'s ringback stops so they hear the party\'s network through the consult bridge', () => {
      const { state, last } = run([...connected, ev.warm(), ev.stasis('p3'), progress('p3')]);
      expect(of(last, 'StopRingback')).toEqual([{ type: 'StopRingback', playbackId: 'c1-p3-ringback' }]);
      expect(last.at(-1)).toMatchObject({ type: 'PublishUpdate', stage: 'connected' });
      expect(state.partyRingback).toBeUndefined();
      expect(leg(state, 'p3')).toMatchObject({ status: 'ringing', bridge: 'consult' });
    });

    it('given a party being added, when it first rings (180) and then sends early media (183), then the agent\'s ringback stops at the 183', () => {
      const { state } = run([...connected, ev.add(), ev.stasis('p3'), ev.ringing('p3')]);
      expect(state.partyRingback).toBeDefined();
      const next = transition(state, progress('p3'));
      expect(of(next.effects, 'StopRingback')).toEqual([{ type: 'StopRingback', playbackId: 'c1-p3-ringback' }]);
      // A second 183 has nothing left to stop.
      expect(transition(next.state, progress('p3')).effects).toEqual([]);
    });

    it('given a cold transfer, when the party sends early media, then the customer\'s ringback stops so they hear it, and the party\'s answer later stops nothing more', () => {
      const { state, last } = run([...connected, ev.cold(), ev.stasis('p3'), progress('p3')]);
      expect(of(last, 'StopRingback')).toEqual([{ type: 'StopRingback', playbackId: 'c1-p3-ringback' }]);
      expect(of(transition(state, ev.answered('p3')).effects, 'StopRingback')).toEqual([]);
    });

    it('given a party that only rings (no early media), then the ringback plays on until the answer', () => {
      const { state, last } = run([...connected, ev.warm(), ev.stasis('p3'), ev.ringing('p3')]);
      expect(of(last, 'StopRingback')).toEqual([]);
      expect(state.partyRingback).toBeDefined();
      expect(of(transition(state, ev.answered('p3')).effects, 'StopRingback')).toEqual([{ type: 'StopRingback', playbackId: 'c1-p3-ringback' }]);
    });

    it('given a party not yet in its bridge (not dialed), then early media changes nothing', () => {
      const { state } = run([...connected, ev.warm()]);
      expect(transition(state, progress('p3')).effects).toEqual([]);
    });

    it('given an added party that played early media, when its dial fails (cause 1), then observers see it failed after its network\'s audio, with that cause', () => {
      const { state } = run([...connected, ev.add(), ev.stasis('p3'), progress('p3'), ev.ended('p3', 1)]);
      expect(partiesOf(state).find((p) => p.legId === 'p3')).toMatchObject({ status: 'ended', failedAfterEarlyMedia: { hangupCause: 1 } });
    });

    it('given a party that rang (180) and then sent early media before failing, then it failed after early media too', () => {
      const { state } = run([...connected, ev.warm(outside), ev.stasis('p3'), ev.ringing('p3'), progress('p3'), ev.ended('p3', 1)]);
      expect(partiesOf(state).find((p) => p.legId === 'p3')?.failedAfterEarlyMedia).toEqual({ hangupCause: 1 });
    });

    it('given a party that played early media and then answered, or one that only rang before failing, then neither failed after early media', () => {
      const answered = run([...connected, ev.add(), ev.stasis('p3'), progress('p3'), ev.answered('p3'), ev.ended('p3')]).state;
      expect(partiesOf(answered).find((p) => p.legId === 'p3')?.failedAfterEarlyMedia).toBeUndefined();
      const rangOnly = run([...connected, ev.add(), ev.stasis('p3'), ev.ringing('p3'), ev.ended('p3', 1)]).state;
      expect(partiesOf(rangOnly).find((p) => p.legId === 'p3')?.failedAfterEarlyMedia).toBeUndefined();
    });
  });
});

