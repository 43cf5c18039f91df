import { initialCallState } from '../../call/call-machine';
import { CallRegistry } from '../../engine/call-registry';
import type { CallContext, CallUpdate } from '../../call/call-update';
import { TEST_PLAN as plan } from '../support/call-plan';

const context: CallContext = {
  callId: 'c1', agentId: 7, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+12025550123', route: 'M', callerId: '+15550001111',
};
const update = (stage: CallUpdate['stage'], final = false): CallUpdate => ({ context, stage, at: 0, final });
const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('call registry streams', () => {
  it('given a transition, then its observers hear of it one tick later (after the requests it made are written), in order', async () => {
    const registry = new CallRegistry();
    const live = registry.add(context, initialCallState(plan, 0));
    const perCall: string[] = [];
    const all: string[] = [];
    live.updates.subscribe((u) => perCall.push(u.stage));
    registry.allUpdates.subscribe((u) => all.push(u.stage));
    registry.publish(live, update('agent_dialing'));
    registry.publish(live, update('agent_ringing'));
    expect(perCall).toEqual([]);
    await nextTick();
    expect(perCall).toEqual(['agent_dialing', 'agent_ringing']);
    expect(all).toEqual(['agent_dialing', 'agent_ringing']);
  });

  it('given the final update, then the agent is free at once and the call stream completes after delivering it', async () => {
    const registry = new CallRegistry();
    const live = registry.add(context, initialCallState(plan, 0));
    const seen: string[] = [];
    let completed = false;
    live.updates.subscribe({ next: (u) => seen.push(u.stage), complete: () => { completed = true; } });
    registry.publish(live, update('ended', true));
    expect(registry.liveCallOfAgent(7)).toBeUndefined();
    expect(completed).toBe(false);
    await nextTick();
    expect(seen).toEqual(['ended']);
    expect(completed).toBe(true);
  });

  it('given a late subscriber, then it gets the whole history of the call', async () => {
    const registry = new CallRegistry();
    const live = registry.add(context, initialCallState(plan, 0));
    registry.publish(live, update('agent_dialing'));
    registry.publish(live, update('ended', true));
    await nextTick();
    const seen: string[] = [];
    live.updates.subscribe((u) => seen.push(u.stage));
    expect(seen).toEqual(['agent_dialing', 'ended']);
  });

  describe('added legs', () => {
    const withP3 = () => {
      const registry = new CallRegistry();
      const state = initialCallState(plan, 0);
      const live = registry.add(context, {
        ...state, legs: [...state.legs, { ...state.legs[1]!, id: 'p3', role: 'conferenced', channelId: 'c1-p3', status: 'created' }],
      });
      return { registry, live };
    };

    it('given a call with an added leg, then its channel finds the call and the leg, and a leg it does not have finds nothing', () => {
      const { registry, live } = withP3();
      expect(registry.byChannelId('c1-p3')).toEqual({ call: live, leg: 'p3' });
      expect(registry.byChannelId('c1-p4')).toBeUndefined();
      expect(registry.byChannelId('c2-p3')).toBeUndefined();
    });

    it('given a call with an added leg, then reconciliation leaves its channel and the consult bridge alone', () => {
      const { registry } = withP3();
      expect([...registry.ownedIds()]).toEqual(expect.arrayContaining(['c1-agent', 'c1-target', 'c1-p3', 'c1-bridge', 'c1-consult']));
    });
  });
});
