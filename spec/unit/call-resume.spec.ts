import { type CallEffect, type CallEvent, TIMER_GRACE_MS, transition } from '../../call/call-machine';
import { callIds } from '../../call/call-ids';
import { type RecordedCall, resumeCall } from '../../call/call-resume';
import type { ChannelView } from '../../call/read-back';
import { TEST_PLAN } from '../support/call-plan';

const plan = TEST_PLAN;
const ids = callIds(plan.callId);
const up = { state: 'Up', inStasis: true };
const ringing = { state: 'Ringing', inStasis: false };
const downInStasis = { state: 'Down', inStasis: true };
const bridged = (...channels: string[]): readonly string[] => channels;

const types = (effects: readonly CallEffect[]) => effects.map((e) => e.type);
const started = (effects: readonly CallEffect[], timer: string) =>
  effects.find((e): e is Extract<CallEffect, { type: 'StartTimer' }> => e.type === 'StartTimer' && e.timer === timer);

/** What Asterisk shows of the call: each leg's channel (null: gone), and its bridge's members (null: gone). */
interface ObservedCall {
  agent: ChannelView | null;
  target: ChannelView | null;
  bridgeChannelIds: readonly string[] | null;
}

function resumed(recorded: RecordedCall, observed: ObservedCall, now = 10_000) {
  const view = {
    channels: { [ids.agentChannelId]: observed.agent, [ids.targetChannelId]: observed.target },
    bridges: { [ids.bridgeId]: observed.bridgeChannelIds === null ? null : { members: observed.bridgeChannelIds } },
  };
  return resumeCall(plan, recorded, view, now);
}

describe('a call taken over from a stopped instance', () => {
  it('given a connected call whose channels are still up in the bridge, then it stays connected and nothing is sent to Asterisk', () => {
    const { state, effects } = resumed(
      { stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 4000 },
      { agent: up, target: up, bridgeChannelIds: bridged(ids.agentChannelId, ids.targetChannelId) },
    );
    expect(state.stage).toBe('connected');
    expect(state.times.connectedAt).toBe(4000);
    expect(effects).toEqual([]);
  });

  it('given a taken-over connected call, when a leg then hangs up, then it ends completed with that leg as the one that ended it', () => {
    const { state } = resumed(
      { stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 4000 },
      { agent: up, target: up, bridgeChannelIds: bridged(ids.agentChannelId, ids.targetChannelId) },
    );
    const hangup: CallEvent = { type: 'LegEnded', leg: 'target', cause: 16, causeText: 'Normal Clearing', at: 20_000 };
    const next = transition(state, hangup);
    expect(next.state.stage).toBe('ended');
    expect(next.state.outcome).toBe('completed');
    expect(next.state.endedBy).toBe('target');
    expect(next.effects).toContainEqual({ type: 'HangupLeg', channelId: ids.agentChannelId });
    expect(next.effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  });

  it('given a connected call whose target hung up while no instance followed it, then it ends completed and the agent is hung up', () => {
    const { state, effects } = resumed(
      { stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 4000 },
      { agent: up, target: null, bridgeChannelIds: bridged(ids.agentChannelId) },
    );
    expect(state.outcome).toBe('completed');
    expect(state.endedBy).toBe('target');
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.agentChannelId });
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  });

  it('given the agent still ringing, then the ring timer runs on with what is left of it and the call waits for the answer', () => {
    const { state, effects } = resumed(
      { stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 500 },
      { agent: ringing, target: downInStasis, bridgeChannelIds: bridged(ids.targetChannelId) },
      10_000,
    );
    expect(state.stage).toBe('agent_ringing');
    expect(started(effects, 'agent_ring')?.ms).toBe(plan.agentRingTimeoutS * 1000 + TIMER_GRACE_MS - 10_000);
    expect(types(effects)).toEqual(['StartTimer']);
  });

  it('given a taken-over ringing agent, when the agent answers, then the target is dialed first, as on any call', () => {
    const { state } = resumed(
      { stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 500 },
      { agent: ringing, target: downInStasis, bridgeChannelIds: bridged(ids.targetChannelId) },
    );
    const next = transition(state, { type: 'LegAnswered', leg: 'agent', at: 12_000 });
    expect(next.effects[0]).toMatchObject({ type: 'DialLeg', channelId: ids.targetChannelId });
    expect(next.state.stage).toBe('target_dialing');
  });

  it('given the agent\'s phone was found gone (it answered while no instance was connected, and Asterisk hung it up), then the call ends interrupted, not with an outcome nobody saw, and the target channel is hung up', () => {
    const { state, effects } = resumed(
      { stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 500 },
      { agent: null, target: downInStasis, bridgeChannelIds: bridged(ids.targetChannelId) },
    );
    expect(state.stage).toBe('ended');
    expect(state.outcome).toBe('interrupted');
    expect(state.detail).toBe('the agent leg ended while no instance followed the call (its owner had stopped)');
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.targetChannelId });
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  });

  it('given a leg in Stasis but not yet in the bridge, then it is added to the bridge', () => {
    const { effects } = resumed(
      { stage: 'agent_ringing', requestedAt: 0 },
      { agent: ringing, target: downInStasis, bridgeChannelIds: bridged() },
    );
    expect(effects).toContainEqual({ type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.targetChannelId });
  });

  it('given the target ringing, then the target ring timer runs on from the agent\'s answer and the ringback is stopped when the target answers', () => {
    const { state, effects } = resumed(
      { stage: 'target_ringing', requestedAt: 0, agentAnsweredAt: 3000, targetRingingAt: 3500 },
      { agent: up, target: ringing, bridgeChannelIds: bridged(ids.agentChannelId, ids.targetChannelId) },
      10_000,
    );
    expect(started(effects, 'target_ring')?.ms).toBe(plan.targetRingTimeoutS * 1000 + TIMER_GRACE_MS - 7000);
    const next = transition(state, { type: 'LegAnswered', leg: 'target', at: 11_000 });
    expect(next.state.stage).toBe('connected');
    expect(next.effects).toContainEqual({ type: 'StopRingback', playbackId: ids.ringbackId });
  });

  it('given a timer that ran out while no instance followed the call, then it fires at once', () => {
    const { effects } = resumed(
      { stage: 'agent_ringing', requestedAt: 0 },
      { agent: ringing, target: downInStasis, bridgeChannelIds: bridged(ids.targetChannelId) },
      10 * 60_000,
    );
    expect(started(effects, 'agent_ring')?.ms).toBe(0);
  });

  it('given a claimed request whose originate never reached Asterisk, then it ends without dialing anything and cleans up what was made', () => {
    const { state, effects } = resumed(
      { stage: 'requested', requestedAt: 0 },
      { agent: null, target: downInStasis, bridgeChannelIds: bridged() },
    );
    expect(state.stage).toBe('ended');
    expect(types(effects)).not.toContain('OriginateLeg');
    expect(types(effects)).not.toContain('DialLeg');
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.targetChannelId });
  });

  it('given the bridge gone while both legs are up, then the call ends failed and both legs are hung up', () => {
    const { state, effects } = resumed(
      { stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 4000 },
      { agent: up, target: up, bridgeChannelIds: null },
    );
    expect(state.stage).toBe('ended');
    expect(state.outcome).toBe('failed');
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.agentChannelId });
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.targetChannelId });
  });
});

describe('a return call taken over from a stopped instance (the customer\'s channel is Asterisk\'s, named on the row)', () => {
  const CUSTOMER_CHANNEL = 'in-1';
  const returnPlan = {
    ...plan, targetEndpoint: '', confirmTimeoutS: 0, agentRingTimeoutS: 20,
    returnCall: {
      customerChannelId: CUSTOMER_CHANNEL, customerNumber: '+12025550123', calledNumber: '+15550001111',
      agents: [{ agentId: 1, label: 'Ann', endpoint: plan.agentEndpoint, reason: 'last_caller' as const }],
      missedMessage: 'sound:vm-nobodyavail', missedMessageTimeoutS: 15,
    },
  };
  const returnResumed = (recorded: RecordedCall, customer: ChannelView | null, agent: ChannelView | null, members: readonly string[] | null, now = 10_000) =>
    resumeCall(returnPlan, recorded, {
      channels: { [ids.agentChannelId]: agent, [CUSTOMER_CHANNEL]: customer },
      bridges: { [ids.bridgeId]: members === null ? null : { members } },
    }, now);

  it('given it connected, with the customer and the agent still in the bridge, then it stays connected as a call like any other and nothing is sent', () => {
    const { state, effects } = returnResumed(
      { stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 2000 }, up, up, bridged(ids.agentChannelId, CUSTOMER_CHANNEL),
    );
    expect(state.stage).toBe('connected');
    expect(state.returnCall).toBeUndefined();
    expect(state.legs.find((l) => l.id === 'target')).toMatchObject({ channelId: CUSTOMER_CHANNEL, status: 'up', bridge: 'main' });
    expect(effects).toEqual([]);
  });

  it('given it connected and the customer hung up while no instance followed it, then it ends completed and the agent is hung up', () => {
    const { state, effects } = returnResumed(
      { stage: 'connected', requestedAt: 0, agentAnsweredAt: 2000, connectedAt: 2000 }, null, up, bridged(ids.agentChannelId),
    );
    expect(state).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target' });
    expect(effects).toContainEqual({ type: 'HangupLeg', channelId: ids.agentChannelId });
    expect(effects).toContainEqual({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  });

  it('given the agent\'s phone ringing, then the customer still rings outside the bridge, the ring timer runs on, and the agent\'s answer joins them', () => {
    const { state, effects } = returnResumed({ stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 500 }, downInStasis, ringing, bridged());
    expect(state.stage).toBe('agent_ringing');
    expect(state.legs.find((l) => l.id === 'target')).toMatchObject({ channelId: CUSTOMER_CHANNEL, status: 'ringing', inStasis: true, bridge: null });
    // Rung since 500 (the row's agentRingingAt), read back at 10 000.
    expect(started(effects, 'agent_ring')?.ms).toBe(20_000 + TIMER_GRACE_MS - 9_500);
    const answered = transition(state, { type: 'LegEnteredStasis', leg: 'agent', at: 12_000 });
    expect(answered.state.stage).toBe('connected');
    expect(answered.effects).toContainEqual({ type: 'AnswerLeg', channelId: CUSTOMER_CHANNEL });
  });

  it('given a later agent\'s phone ringing (the first did not answer), then their ring timer runs on from when their phone began to ring, not from the customer\'s call', () => {
    const { effects } = returnResumed({ stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 25_000 }, downInStasis, ringing, bridged(), 30_000);
    expect(started(effects, 'agent_ring')?.ms).toBe(20_000 + TIMER_GRACE_MS - 5_000);
  });

  it('given the agent\'s phone ringing and nobody after them in the plan, when nobody answers, then the customer hears the missed-call message', () => {
    const { state } = returnResumed({ stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 500 }, downInStasis, ringing, bridged());
    const dropped = transition(state, { type: 'TimerExpired', timer: 'agent_ring', at: 21_000 });
    const gone = transition(dropped.state, { type: 'LegEnded', leg: 'agent', cause: 16, causeText: 'Normal Clearing', at: 21_100 });
    expect(types(gone.effects)).toEqual(expect.arrayContaining(['AnswerLeg', 'PlayAnnouncement']));
    expect(gone.state.returnCall?.phase).toBe('missed');
  });

  it('given the agent\'s phone ringing with Bob after them in the plan (engine/return-call-resume.ts asks the routing again), when the agent does not answer, then Bob is rung on the same leg with the customer\'s number', () => {
    const bob = { agentId: 2, label: 'Bob', endpoint: 'PJSIP/+15551230002@trunk-main', reason: 'idle' as const };
    const withBob = { ...returnPlan, returnCall: { ...returnPlan.returnCall, agents: [...returnPlan.returnCall.agents, bob] } };
    const { state } = resumeCall(withBob, { stage: 'agent_ringing', requestedAt: 0, agentRingingAt: 500 }, {
      channels: { [ids.agentChannelId]: ringing, [CUSTOMER_CHANNEL]: downInStasis },
      bridges: { [ids.bridgeId]: { members: [] } },
    }, 10_000);
    const gone = transition(state, { type: 'LegEnded', leg: 'agent', cause: 19, causeText: 'No Answer', at: 12_000 });
    expect(gone.effects).toContainEqual(expect.objectContaining({
      type: 'OriginateLeg', leg: 'agent', channelId: ids.agentChannelId, endpoint: bob.endpoint, callerId: '+12025550123',
    }));
    expect(gone.effects).toContainEqual({ type: 'PersistCall', patch: { stage: 'agent_dialing', onCallAgentId: 2 } });
    expect(gone.state.returnCall?.phase).toBe('ringing');
  });
});
