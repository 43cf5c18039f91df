import type { CallEffect, CallEvent, CallPlan } from '../../call/call-machine';
import { toCallUpdate } from '../../call/call-update';
import { announcedReason } from '../../call/outcomes';
import { toCallEvent } from '../../ari/ari-events';
import { renderStatus } from '../../telegram/status-renderer';
import { TEST_PLAN } from '../support/call-plan';
import { runMachine } from '../support/machine-run';

const ev = {
  started: { type: 'CallStarted', at: 0 } as CallEvent,
  stasis: (l: string): CallEvent => ({ type: 'LegEnteredStasis', leg: l, at: 0 }),
  ringing: (l: string): CallEvent => ({ type: 'LegRinging', leg: l, at: 0 }),
  /** What ari/ari-events.ts makes of Dial PROGRESS: a 183 (or 180) with SDP. */
  earlyMedia: (l: string): CallEvent => ({ type: 'LegRinging', leg: l, at: 0, earlyMedia: true }),
  answered: (l: string): CallEvent => ({ type: 'LegAnswered', leg: l, at: 0 }),
  ended: (l: string, cause: number | null): CallEvent => ({ type: 'LegEnded', leg: l, cause, causeText: null, at: 0 }),
  holdTimer: { type: 'TimerExpired', timer: 'dial_hold', at: 0 } as CallEvent,
};

/** The agent answered and hears ringback; the customer, in the bridge, is dialed. */
const dialed = [ev.started, ev.stasis('target'), ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent'), ev.holdTimer];
const types = (effects: CallEffect[]) => effects.map((e) => e.type);
const CONTEXT = { callId: 'c1', agentId: 1, agentTelegramId: '100', agentPhone: '+15551230001', target: '+12025550123', route: 'M' as const, callerId: null };

describe('early media: the customer\'s network plays its own audio before the answer', () => {
  it('given the agent hears ringback, when the customer\'s network sends early media, then the ringback stops (the agent hears the network through the bridge) and the call rings', () => {
    const { state, last } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target')]);
    expect(last).toContainEqual({ type: 'StopRingback', playbackId: 'c1-ringback' });
    expect(state).toMatchObject({ stage: 'target_ringing', ringbackPlaying: false, earlyMediaAt: (dialed.length + 1) * 1000 });
  });

  it('given no early media, when the customer\'s phone rings and answers, then callbot\'s ringback plays until the answer', () => {
    const ringing = runMachine(TEST_PLAN, [...dialed, ev.ringing('target')]);
    expect(types(ringing.last)).not.toContain('StopRingback');
    expect(ringing.state).toMatchObject({ stage: 'target_ringing', ringbackPlaying: true });
    expect(ringing.state.earlyMediaAt).toBeUndefined();
    const { last } = runMachine(TEST_PLAN, [...dialed, ev.ringing('target'), ev.answered('target')]);
    expect(last).toContainEqual({ type: 'StopRingback', playbackId: 'c1-ringback' });
  });

  it('given the phone rang first (180), when early media follows (183), then the ringback stops and the status message hears of it though the stage stays', () => {
    const { state, last } = runMachine(TEST_PLAN, [...dialed, ev.ringing('target'), ev.earlyMedia('target')]);
    expect(types(last)).toEqual(['StopRingback', 'PublishUpdate']);
    expect(state.stage).toBe('target_ringing');
  });

  it('given early media within the dial\'s hold, then the held ringback goes out first and is stopped right after, in that order', () => {
    const { last } = runMachine(TEST_PLAN, [...dialed.slice(0, -1), ev.earlyMedia('target')]);
    const order = types(last);
    expect(order.indexOf('StartRingback')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('StartRingback')).toBeLessThan(order.indexOf('StopRingback'));
  });

  it('given early media was heard, when more progress comes, then nothing is stopped twice', () => {
    const { last } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target'), ev.earlyMedia('target')]);
    expect(last).toEqual([]);
  });

  it('given early media before the agent\'s channel entered Stasis, when it enters, then it joins the bridge and no ringback starts', () => {
    const { state, effects } = runMachine(TEST_PLAN, [ev.started, ev.stasis('target'), ev.ringing('agent'), ev.answered('agent'), ev.earlyMedia('target'), ev.stasis('agent')]);
    expect(types(effects)).not.toContain('StartRingback');
    expect(effects).toContainEqual({ type: 'AddToBridge', bridgeId: 'c1-bridge', channelId: 'c1-agent' });
    expect(state.ringbackPlaying).toBe(false);
  });

  it('given the consent policy (the customer is dialed outside the bridge), when early media comes, then the agent keeps callbot\'s ringback: the network could not be heard', () => {
    const plan: CallPlan = { ...TEST_PLAN, recording: { policy: 'consent' } };
    const { state, last } = runMachine(plan, [...dialed, ev.earlyMedia('target')]);
    expect(types(last)).not.toContain('StopRingback');
    expect(state.ringbackPlaying).toBe(true);
    expect(state.earlyMediaAt).toBeUndefined();
  });

  it('given early media, when the customer answers, then the call connects with no second StopRingback', () => {
    const { state, last } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target'), ev.answered('target')]);
    expect(state.stage).toBe('connected');
    expect(types(last)).not.toContain('StopRingback');
  });

  it('given ARI\'s Dial PROGRESS on the customer\'s channel, then the machine is told of early media; RINGING is ringing alone', () => {
    expect(toCallEvent({ type: 'Dial', channelId: 'c1-target', dialstatus: 'PROGRESS' }, 'target', 5)).toEqual({ type: 'LegRinging', leg: 'target', at: 5, earlyMedia: true });
    expect(toCallEvent({ type: 'Dial', channelId: 'c1-target', dialstatus: 'RINGING' }, 'target', 5)).toEqual({ type: 'LegRinging', leg: 'target', at: 5 });
  });

  describe('what the status message says', () => {
    it('given early media while the phone rings, then it says the agent hears the customer\'s network', () => {
      const { state } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target')]);
      const update = toCallUpdate(CONTEXT, state.stage, state, 0);
      expect(update.earlyMedia).toBe(true);
      expect(renderStatus(update).text).toContain("🔊 You hear the customer's network");
    });

    it('given an announcement, when the customer\'s leg fails with cause 1, then the final status says the network played an announcement and what the cause says', () => {
      const { state } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target'), ev.ended('target', 1)]);
      const update = toCallUpdate(CONTEXT, 'ended', state, 0);
      expect(update).toMatchObject({ final: true, outcome: 'target_invalid_number', earlyMedia: true, hangupCause: 1 });
      expect(renderStatus(update).text).toContain("🔊 The customer's network played an announcement before the call failed: most likely the number is not in service (cause 1).");
    });

    it('given an announcement, when the leg ends with a cause that says nothing (16), then the final status says only that the network played its own audio', () => {
      const { state } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target'), ev.ended('target', 16)]);
      const text = renderStatus(toCallUpdate(CONTEXT, 'ended', state, 0)).text;
      expect(text).toContain("🔊 The customer's network played its own audio (ringback or an announcement) before the call ended.");
      expect(text).not.toContain('most likely');
    });

    it('given no early media, when the customer\'s leg fails, then the final status says nothing of the network\'s audio', () => {
      const { state } = runMachine(TEST_PLAN, [...dialed, ev.ringing('target'), ev.ended('target', 1)]);
      const update = toCallUpdate(CONTEXT, 'ended', state, 0);
      expect(update.earlyMedia).toBeUndefined();
      expect(renderStatus(update).text).not.toContain('🔊');
    });

    it('given early media, when the customer answers and the call completes, then the final status says nothing of it', () => {
      const { state } = runMachine(TEST_PLAN, [...dialed, ev.earlyMedia('target'), ev.answered('target'), ev.ended('target', 16)]);
      expect(renderStatus(toCallUpdate(CONTEXT, 'ended', state, 0)).text).not.toContain('🔊');
    });

    it.each<[number | null, string | null]>([
      [1, 'not_in_service'], [22, 'number_changed'], [17, 'busy'], [20, 'unavailable'], [34, 'network_trouble'], [16, null], [null, null],
    ])('given cause %s, then the announcement most likely said %s', (cause, reason) => {
      expect(announcedReason(cause)).toBe(reason);
    });
  });
});
