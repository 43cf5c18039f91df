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
