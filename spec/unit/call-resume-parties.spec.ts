import { type CallEffect, type CallState, TIMER_GRACE_MS, transition } from '../../call/call-machine';
import { callIds, partyRingbackId } from '../../call/call-ids';
import { type RecordedCall, type RecordedLeg, idsToResume, resumeCall } from '../../call/call-resume';
import type { AsteriskView, ChannelView } from '../../call/read-back';
import { TEST_PLAN } from '../support/call-plan';

/*
 * A connected call that gained a party, taken over from a stopped instance: rebuilt from its legs'
 * rows and Asterisk's channels and bridges, then what changed while nobody followed it is read back.
 */

const plan = TEST_PLAN;
const ids = callIds(plan.callId);
const p3 = `${plan.callId}-p3`;
const up: ChannelView = { state: 'Up', inStasis: true };
const ringing: ChannelView = { state: 'Ringing', inStasis: true };

const agentRow: RecordedLeg = { legId: 'agent', role: 'agent', label: plan.agentLabel, agentId: 1, requestedAt: 0, answeredAt: 2000 };
const customerRow: RecordedLeg = { legId: 'target', role: 'customer', label: '+12025550123', number: '+12025550123', requestedAt: 0, answeredAt: 4000 };
const colleague = (row: Partial<RecordedLeg>): RecordedLeg => ({ legId: 'p3', role: 'consulted', label: 'Bob', agentId: 2, requestedAt: 10_000, ...row });
const numberParty = (row: Partial<RecordedLeg>): RecordedLeg => ({ legId: 'p3', role: 'conferenced', label: '+12025550199', number: '+12025550199', requestedAt: 10_000, ...row });

const recorded = (...added: RecordedLeg[]): RecordedCall => ({
  stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 4000, legs: [agentRow, customerRow, ...added],
});

/** Asterisk's view: each channel (null: gone), the main bridge's and the consult bridge's members (null: gone). */
function viewOf(channels: { agent: ChannelView | null; target: ChannelView | null; p3: ChannelView | null }, main: string[], consult: string[] | null): AsteriskView {
  return {
    channels: { [ids.agentChannelId]: channels.agent, [ids.targetChannelId]: channels.target, [p3]: channels.p3 },
    bridges: { [ids.bridgeId]: { members: main }, [ids.consultBridgeId]: consult === null ? null : { members: consult } },
  };
}

const NOW = 20_000;
const types = (effects: readonly CallEffect[]) => effects.map((e) => e.type);
const statuses = (state: CallState) => Object.fromEntries(state.legs.map((l) => [l.id, l.status]));
const steps = (effects: readonly CallEffect[]) => effects.flatMap((e) => (e.type === 'RecordStep' ? [e.step.kind] : []));

describe('a call taken over in the middle of a consultation', () => {
  const consulting = recorded(colleague({ answeredAt: 12_000 }));
  const everyoneThere = viewOf({ agent: up, target: up, p3: up }, [ids.targetChannelId], [ids.agentChannelId, p3]);

  it('given the agent and the consulted colleague still talking and the customer on hold, then the consultation goes on and nothing is sent to Asterisk', () => {
    const { state, effects } = resumeCall(plan, consulting, everyoneThere, NOW);
    expect(effects).toEqual([]);
    expect(state.stage).toBe('connected');
    expect(state.operation).toEqual({ kind: 'consult', legId: 'p3', by: 'system' });
    expect(state.bridges).toEqual(['main', 'consult']);
    expect(statuses(state)).toEqual({ agent: 'up', target: 'held', p3: 'up' });
    expect(state.legs.map((l) => l.bridge)).toEqual(['consult', 'main', 'consult']);
    expect(state.owner).toEqual({ agentId: 1, legId: 'agent' });
    expect(state.nextLeg).toBe(4);
  });

  it.each([
    ['complete', ['MoveToBridge', 'StopHoldMusic', 'DestroyBridge', 'HangupLeg'], { agentId: 2, legId: 'p3' }],
    ['back', ['HangupLeg', 'MoveToBridge', 'StopHoldMusic', 'DestroyBridge'], { agentId: 1, legId: 'agent' }],
    ['conference', ['MoveToBridge', 'MoveToBridge', 'StopHoldMusic', 'DestroyBridge'], { agentId: 1, legId: 'agent' }],
  ] as const)('given the consultation taken over, when the agent ends it with %s, then the machine ends it as on any call: the hold music stops and the consult bridge goes', (how, expected, owner) => {
    const { state } = resumeCall(plan, consulting, everyoneThere, NOW);
    const next = transition(state, { type: 'ConsultFinished', how, by: '42', at: NOW + 1000 });
    expect(types(next.effects).filter((t) => expected.includes(t as never))).toEqual(expected);
    expect(next.effects).toContainEqual({ type: 'StopHoldMusic', bridgeId: ids.bridgeId });
    expect(next.effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.consultBridgeId });
    expect(next.state.bridges).toEqual(['main']);
    expect(next.state.owner).toEqual(owner);
    expect(next.state.stage).toBe('connected');
  });

  it('given the consulted colleague hung up while nobody followed the call, then the agent is back with the customer: moved to the main bridge, the music stopped, the consult bridge destroyed', () => {
    const { state, effects } = resumeCall(plan, consulting, viewOf({ agent: up, target: up, p3: null }, [ids.targetChannelId], [ids.agentChannelId]), NOW);
    expect(state.stage).toBe('connected');
    expect(state.operation).toEqual({ kind: 'none' });
    expect(statuses(state)).toEqual({ agent: 'up', target: 'up', p3: 'ended' });
    expect(effects).toContainEqual({ type: 'MoveToBridge', channelId: ids.agentChannelId, from: ids.consultBridgeId, to: ids.bridgeId });
    expect(effects).toContainEqual({ type: 'StopHoldMusic', bridgeId: ids.bridgeId });
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.consultBridgeId });
    expect(effects).toContainEqual({ type: 'PersistLeg', legId: 'p3', patch: { endedAt: new Date(NOW), hangupCause: null } });
    expect(steps(effects)).toEqual(['consult_ended']);
    expect(types(effects)).not.toContain('HangupLeg');
  });

  it('given the consulted leg\'s row already ended but the consult bridge still there, then Asterisk\'s view decides: the leg gone ends the consultation', () => {
    const { state, effects } = resumeCall(plan, recorded(colleague({ answeredAt: 12_000, endedAt: 15_000 })), viewOf({ agent: up, target: up, p3: null }, [ids.targetChannelId], [ids.agentChannelId]), NOW);
    expect(state.operation).toEqual({ kind: 'none' });
    expect(state.bridges).toEqual(['main']);
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.consultBridgeId });
  });

  it('given the customer on hold hung up while nobody followed the call, then the call ends completed by the customer and every leg and both bridges are let go', () => {
    const { state, effects } = resumeCall(plan, consulting, viewOf({ agent: up, target: null, p3: up }, [], [ids.agentChannelId, p3]), NOW);
    expect(state.stage).toBe('ended');
    expect(state.outcome).toBe('completed');
    expect(state.endedBy).toBe('target');
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.agentChannelId });
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: p3 });
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.consultBridgeId });
  });

  it('given the consulted colleague still ringing, then their ring timer runs on from when they were asked for and the ringback the agent hears stops when they answer', () => {
    const { state, effects } = resumeCall(plan, recorded(colleague({})), viewOf({ agent: up, target: up, p3: ringing }, [ids.targetChannelId], [ids.agentChannelId, p3]), NOW);
    expect(statuses(state)).toEqual({ agent: 'up', target: 'held', p3: 'ringing' });
    expect(effects).toEqual([{ type: 'StartTimer', timer: 'party_ring:p3', ms: plan.agentRingTimeoutS * 1000 + TIMER_GRACE_MS - (NOW - 10_000) }]);
    expect(state.partyRingback).toEqual({ channelId: ids.agentChannelId, playbackId: partyRingbackId(plan.callId, 'p3') });
    const answered = transition(state, { type: 'LegAnswered', leg: 'p3', at: NOW + 500 });
    expect(answered.effects).toContainEqual({ type: 'StopRingback', playbackId: partyRingbackId(plan.callId, 'p3') });
    expect(answered.effects).toContainEqual({ type: 'CancelTimer', timer: 'party_ring:p3' });
  });
});

describe('a call taken over after a consultation completed to a colleague, who now consults another', () => {
  const p4 = `${plan.callId}-p4`;
  const legs = [
    { ...agentRow, endedAt: 15_000 }, customerRow, colleague({ answeredAt: 12_000 }),
    { legId: 'p4', role: 'consulted', label: '+12025550177', number: '+12025550177', requestedAt: 16_000, answeredAt: 17_000 } as RecordedLeg,
  ];
  const view: AsteriskView = {
    channels: { [ids.agentChannelId]: null, [ids.targetChannelId]: up, [p3]: up, [p4]: up },
    bridges: { [ids.bridgeId]: { members: [ids.targetChannelId] }, [ids.consultBridgeId]: { members: [p3, p4] } },
  };

  it('given everyone there, then the colleague owns the call and consults the last consulted party, with their own role an agent\'s', () => {
    const { state, effects } = resumeCall(plan, { ...recorded(), legs }, view, NOW);
    expect(effects).toEqual([]);
    expect(state.operation).toEqual({ kind: 'consult', legId: 'p4', by: 'system' });
    expect(state.owner).toEqual({ agentId: 2, legId: 'p3' });
    expect(state.legs.map((l) => [l.id, l.role, l.status])).toEqual([
      ['agent', 'agent', 'ended'], ['target', 'customer', 'held'], ['p3', 'agent', 'up'], ['p4', 'consulted', 'up'],
    ]);
    expect(state.nextLeg).toBe(5);
  });
});

describe('a call taken over while a cold transfer rings', () => {
  const inMain = [ids.agentChannelId, ids.targetChannelId, p3];

  it.each([
    ['to an agent (its role says so)', colleague({ role: 'agent' }), plan.agentRingTimeoutS],
    ['to a number (its step says so)', numberParty({ askedAs: 'cold_transfer' }), plan.targetRingTimeoutS],
  ])('given the transfer %s ringing, then the customer keeps hearing ringback and the ring timer runs on', (_name, row, ringS) => {
    const { state, effects } = resumeCall(plan, recorded(row), viewOf({ agent: up, target: up, p3: ringing }, inMain, null), NOW);
    expect(state.operation).toEqual({ kind: 'cold_transfer', legId: 'p3', by: 'system' });
    expect(statuses(state)).toEqual({ agent: 'up', target: 'up', p3: 'ringing' });
    expect(state.partyRingback).toEqual({ channelId: ids.targetChannelId, playbackId: partyRingbackId(plan.callId, 'p3') });
    expect(effects).toEqual([{ type: 'StartTimer', timer: 'party_ring:p3', ms: ringS * 1000 + TIMER_GRACE_MS - (NOW - 10_000) }]);
  });

  it('given the new party answered while nobody followed the call, then the transfer completes: the agent is hung up and the call passes to the new agent', () => {
    const { state, effects } = resumeCall(plan, recorded(colleague({ role: 'agent' })), viewOf({ agent: up, target: up, p3: up }, inMain, null), NOW);
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.agentChannelId });
    expect(steps(effects)).toEqual(['transfer_completed', 'owner_changed']);
    expect(state.owner).toEqual({ agentId: 2, legId: 'p3' });
    expect(statuses(state)).toEqual({ agent: 'ended', target: 'up', p3: 'up' });
  });

  it('given the agent already gone and the transfer to a number unanswered, then it is a cold transfer with no owner\'s leg, and the party not answering in time ends the call', () => {
    const { state } = resumeCall(plan, { ...recorded(numberParty({})), legs: [{ ...agentRow, endedAt: 11_000 }, customerRow, numberParty({})] }, viewOf({ agent: null, target: up, p3: ringing }, [ids.targetChannelId, p3], null), NOW);
    expect(state.operation).toMatchObject({ kind: 'cold_transfer', legId: 'p3' });
    expect(state.owner).toEqual({ agentId: 1, legId: null });
    const expired = transition(state, { type: 'TimerExpired', timer: 'party_ring:p3', at: NOW + 60_000 });
    expect(expired.state.stage).toBe('ended');
    expect(expired.effects).toContainEqual({ type: 'HangupLeg', channelId: ids.targetChannelId });
  });

  it('given a number being added (no step read, the agent still there), then it is an adding, with the ringback to the agent', () => {
    const { state } = resumeCall(plan, recorded(numberParty({})), viewOf({ agent: up, target: up, p3: ringing }, inMain, null), NOW);
    expect(state.operation).toMatchObject({ kind: 'adding', legId: 'p3' });
    expect(state.partyRingback?.channelId).toBe(ids.agentChannelId);
  });

  it('given a consulted party unanswered but the consult bridge gone, then that party is hung up and the customer stays with the agent', () => {
    const { state, effects } = resumeCall(plan, recorded(colleague({})), viewOf({ agent: up, target: up, p3: ringing }, [ids.agentChannelId, ids.targetChannelId], null), NOW);
    expect(state.operation).toEqual({ kind: 'none' });
    expect(statuses(state)).toEqual({ agent: 'up', target: 'up', p3: 'ended' });
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: p3 });
  });
});

describe('a conference of three taken over', () => {
  const conferenced = numberParty({ answeredAt: 12_000 });
  const all = [ids.agentChannelId, ids.targetChannelId, p3];
  const present = (gone: 'agent' | 'target' | 'p3' | null) => viewOf(
    { agent: gone === 'agent' ? null : up, target: gone === 'target' ? null : up, p3: gone === 'p3' ? null : up },
    all.filter((c) => gone === null || c !== `${plan.callId}-${gone}`), null,
  );

  it.each([
    ['nobody', null, 'connected', { agent: 'up', target: 'up', p3: 'up' }, []],
    ['the added party', 'p3', 'connected', { agent: 'up', target: 'up', p3: 'ended' }, ['party_left']],
    ['the agent (no other agent is on the call)', 'agent', 'ended', { agent: 'ended', target: 'ended', p3: 'ended' }, ['party_left']],
    ['the customer', 'target', 'ended', { agent: 'ended', target: 'ended', p3: 'ended' }, []],
  ] as const)('given %s gone while nobody followed the call, then the machine decides as on any call', (_who, gone, stage, legs, recordedSteps) => {
    const { state, effects } = resumeCall(plan, recorded(conferenced), present(gone), NOW);
    expect(state.stage).toBe(stage);
    expect(statuses(state)).toEqual(legs);
    expect(steps(effects)).toEqual(recordedSteps);
    if (stage === 'ended') expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  });

  it('given a conferenced agent and the first agent gone, then the call passes to the other agent', () => {
    const { state } = resumeCall(plan, recorded(colleague({ role: 'conferenced', answeredAt: 12_000 })), present('agent'), NOW);
    expect(state.stage).toBe('connected');
    expect(state.owner).toEqual({ agentId: 2, legId: 'p3' });
  });
});

describe('what the taking-over side asks Asterisk', () => {
  it('given a call with added legs, then every leg the rows know of and both bridges are read', () => {
    const ask = idsToResume(plan, recorded(numberParty({ answeredAt: 12_000, endedAt: 13_000 }), { legId: 'p4', role: 'consulted', requestedAt: 14_000 }));
    expect(ask.channelIds).toEqual([ids.agentChannelId, ids.targetChannelId, p3, `${plan.callId}-p4`]);
    expect(ask.bridgeIds).toEqual([ids.bridgeId, ids.consultBridgeId]);
  });

  it('given a call of two parties, then only its two legs and its bridge are read, as before', () => {
    const ask = idsToResume(plan, { stage: 'connected', requestedAt: 0, connectedAt: 4000 });
    expect(ask).toEqual({ channelIds: [ids.agentChannelId, ids.targetChannelId], bridgeIds: [ids.bridgeId] });
  });
});
