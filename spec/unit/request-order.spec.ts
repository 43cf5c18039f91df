import { type CallEffect, type CallEvent, initialCallState, transition } from '../../call/call-machine';
import type { LegName, PartyPlan } from '../../call/call-types';
import { type AriRequestEffect, prerequisiteOf, requestKeyName, requestKeyOf } from '../../call/request-order';
import { TEST_PLAN } from '../support/call-plan';

const REQUESTS = new Set<CallEffect['type']>([
  'OriginateLeg', 'CreateLeg', 'DialLeg', 'CreateBridge', 'AddToBridge', 'StartRingback', 'StopRingback', 'HangupLeg', 'DestroyBridge',
  'MoveToBridge', 'StartHoldMusic', 'StopHoldMusic',
]);
const isRequest = (effect: CallEffect): effect is AriRequestEffect => REQUESTS.has(effect.type);

/** Every ARI request a call asks for, in order, with the hold's timer fired whenever one is started. */
function requestsOf(events: CallEvent[]): AriRequestEffect[] {
  let state = initialCallState(TEST_PLAN, 0);
  const requests: AriRequestEffect[] = [];
  const apply = (event: CallEvent) => {
    const next = transition(state, event);
    state = next.state;
    requests.push(...next.effects.filter(isRequest));
    if (next.effects.some((e) => e.type === 'StartTimer' && e.timer === 'dial_hold')) apply({ type: 'TimerExpired', timer: 'dial_hold', at: event.at });
  };
  events.forEach(apply);
  return requests;
}

const at = 1;
const ev = {
  started: (): CallEvent => ({ type: 'CallStarted', at }),
  stasis: (leg: LegName): CallEvent => ({ type: 'LegEnteredStasis', leg, at }),
  ringing: (leg: LegName): CallEvent => ({ type: 'LegRinging', leg, at }),
  answered: (leg: LegName): CallEvent => ({ type: 'LegAnswered', leg, at }),
  ended: (leg: LegName): CallEvent => ({ type: 'LegEnded', leg, cause: 16, at }),
  cancel: (): CallEvent => ({ type: 'CancelRequested', by: 'agent', at }),
};

/**
 * A request waits for its first prerequisite, asked for earlier; it may also wait for others (a join
 * before a hangup), but never for one the call asks for only later, which it would not wait for.
 */
function expectEveryWaitOnAnEarlierRequest(requests: AriRequestEffect[]): void {
  const asked = new Set<string>();
  const everAsked = new Set(requests.flatMap((r) => { const key = requestKeyOf(r); return key ? [requestKeyName(key)] : []; }));
  for (const request of requests) {
    const prerequisite = prerequisiteOf(request);
    if (prerequisite) {
      const [first, ...others] = prerequisite.after.map(requestKeyName);
      expect(asked).toContain(first);
      for (const other of others) if (everAsked.has(other)) expect(asked).toContain(other);
    }
    const key = requestKeyOf(request);
    if (key) asked.add(requestKeyName(key));
  }
}

const ofType = <T extends AriRequestEffect['type']>(requests: AriRequestEffect[], type: T) =>
  requests.filter((r): r is Extract<AriRequestEffect, { type: T }> => r.type === type);

describe('the order of a call\'s ARI requests', () => {
  const whole = requestsOf([
    ev.started(), ev.stasis('target'), ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent'),
    ev.ringing('target'), ev.answered('target'), ev.ended('target'),
  ]);

  it('dials the target only once its channel has joined the bridge, and not at all if joining failed', () => {
    const [dial] = ofType(whole, 'DialLeg');
    expect(prerequisiteOf(dial)).toEqual({ after: [{ kind: 'join', channelId: dial.channelId }], onFailure: 'skip' });
  });

  it('adds a channel to the bridge only once the bridge exists, whatever the bridge request answered', () => {
    for (const join of ofType(whole, 'AddToBridge')) expect(prerequisiteOf(join)).toEqual({ after: [{ kind: 'bridge' }], onFailure: 'send' });
  });

  it('plays ringback to the agent after the agent has joined, and stops it after it started', () => {
    const [start] = ofType(whole, 'StartRingback');
    const [stop] = ofType(whole, 'StopRingback');
    expect(prerequisiteOf(start)?.after).toEqual([{ kind: 'join', channelId: start.channelId }]);
    expect(prerequisiteOf(stop)?.after).toEqual([{ kind: 'ringback' }]);
  });

  it('hangs a channel up only after the request that made it and any join of it into a bridge, so a hangup races neither', () => {
    const cancelled = requestsOf([ev.started(), ev.cancel()]);
    const hangups = ofType(cancelled, 'HangupLeg');
    expect(hangups.map((h) => prerequisiteOf(h))).toEqual(hangups.map((h) => ({
      after: [{ kind: 'make', channelId: h.channelId }, { kind: 'join', channelId: h.channelId }], onFailure: 'send',
    })));
    expect(prerequisiteOf(ofType(cancelled, 'DestroyBridge')[0])?.after).toEqual([{ kind: 'bridge' }]);
  });

  it.each([
    ['a whole call', whole],
    ['a call cancelled while the agent rings', requestsOf([ev.started(), ev.ringing('agent'), ev.cancel()])],
    ['a call whose agent hangs up while the target rings', requestsOf([ev.started(), ev.stasis('target'), ev.answered('agent'), ev.stasis('agent'), ev.ringing('target'), ev.ended('agent')])],
  ])('in %s, every request waited for is one the call asked for earlier', (_name, requests) => {
    expectEveryWaitOnAnEarlierRequest(requests);
  });

  it('lets nothing wait for the requests that start a call', () => {
    for (const first of whole.slice(0, 3)) expect(prerequisiteOf(first)).toBeUndefined();
  });
});

describe('the order of a multi-party call\'s ARI requests', () => {
  const party: PartyPlan = {
    target: { kind: 'agent', agentId: 7 }, label: 'Bob', endpoint: 'PJSIP/+15551230007@trunk-main', callerId: '+15550001111', ringTimeoutS: 20,
  };
  const connected = [
    ev.started(), ev.stasis('target'), ev.ringing('agent'), ev.answered('agent'), ev.stasis('agent'), ev.ringing('target'), ev.answered('target'),
  ];
  const consult = requestsOf([
    ...connected, { type: 'TransferRequested', mode: 'warm', party, by: '1', at }, { type: 'LegEnteredStasis', leg: 'p3', at }, { type: 'LegAnswered', leg: 'p3', at },
    { type: 'ConsultFinished', how: 'complete', by: '1', at }, ev.cancel(),
  ]);

  it('moves a channel into the consult bridge only once that bridge exists, and joins the consulted leg after it too', () => {
    const [move] = ofType(consult, 'MoveToBridge');
    expect(prerequisiteOf(move)).toEqual({ after: [{ kind: 'consult' }], onFailure: 'send' });
    const join = ofType(consult, 'AddToBridge').find((a) => a.channelId === 'c1-p3')!;
    expect(prerequisiteOf(join)).toEqual({ after: [{ kind: 'consult' }], onFailure: 'send' });
  });

  it('dials the added leg once it has joined, plays ringback to the agent after the agent\'s move, and stops the music after it started', () => {
    const dial = ofType(consult, 'DialLeg').find((d) => d.leg === 'p3')!;
    expect(prerequisiteOf(dial)).toEqual({ after: [{ kind: 'join', channelId: 'c1-p3' }], onFailure: 'skip' });
    const ringback = ofType(consult, 'StartRingback').find((r) => r.playbackId === 'c1-p3-ringback')!;
    expect(requestKeyOf(ofType(consult, 'MoveToBridge')[0]!)).toEqual({ kind: 'join', channelId: ringback.channelId });
    expect(prerequisiteOf(ofType(consult, 'StopHoldMusic')[0]!)).toEqual({ after: [{ kind: 'hold_music' }], onFailure: 'send' });
  });

  it('in a consultation completed and ended, every request waited for is one the call asked for earlier', () => {
    expectEveryWaitOnAnEarlierRequest(consult);
  });
});

describe('the order of a recorded call\'s requests', () => {
  const at = 0;
  const answered: CallEvent[] = [
    { type: 'CallStarted', at }, { type: 'LegEnteredStasis', leg: 'target', at }, { type: 'LegAnswered', leg: 'agent', at },
    { type: 'LegEnteredStasis', leg: 'agent', at }, { type: 'TimerExpired', timer: 'dial_hold', at }, { type: 'LegAnswered', leg: 'target', at },
  ];
  const effectsOf = (policy: 'on' | 'consent', more: CallEvent[]) => {
    let state = initialCallState({ ...TEST_PLAN, recording: { policy } }, 0);
    const effects: CallEffect[] = [];
    for (const event of [...answered, ...more]) {
      const next = transition(state, event);
      state = next.state;
      effects.push(...next.effects);
    }
    return effects.filter((e): e is AriRequestEffect => !['StartTimer', 'CancelTimer', 'PersistCall', 'PersistLeg', 'RecordStep', 'PublishUpdate'].includes(e.type));
  };

  it('records the bridge once it exists, and pauses, resumes and stops only a recording that started', () => {
    const effects = effectsOf('on', [
      { type: 'RecordingPauseRequested', pause: true, by: '1', at }, { type: 'RecordingPauseRequested', pause: false, by: '1', at }, { type: 'CancelRequested', by: 'agent', at },
    ]);
    const record = effects.find((e) => e.type === 'StartRecording')!;
    expect(prerequisiteOf(record)).toEqual({ after: [{ kind: 'bridge' }], onFailure: 'skip' });
    expect(requestKeyOf(record)).toEqual({ kind: 'recording' });
    for (const type of ['PauseRecording', 'UnpauseRecording', 'StopRecording'] as const) {
      expect(prerequisiteOf(effects.find((e) => e.type === type)!)).toEqual({ after: [{ kind: 'recording' }], onFailure: 'skip' });
    }
  });

  it('joins the customer after the consent announcement only once the recorder is in the bridge (the recording holds their first words)', () => {
    const effects = effectsOf('consent', [{ type: 'PlaybackFinished', playbackId: 'c1-consent', failed: false, at }]);
    const join = effects.filter((e) => e.type === 'AddToBridge').find((e) => e.channelId === 'c1-target')!;
    expect(prerequisiteOf(join)).toEqual({ after: [{ kind: 'recording' }], onFailure: 'send' });
    expect(effects.findIndex((e) => e.type === 'StartRecording')).toBeLessThan(effects.indexOf(join));
  });
});
