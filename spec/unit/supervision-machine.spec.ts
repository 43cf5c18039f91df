import {
  type SupervisionEffect, type SupervisionEvent, type SupervisionMode, type SupervisionPlan, type SupervisionState,
  initialSupervisionState, supervisionTransition,
} from '../../call/supervision';

const SID = '11111111-2222-3333-4444-555555555555';
const SUP = `${SID}-supervisor`;
const OWN = `${SID}-listen`;
const CALL_BRIDGE = 'call-bridge';
const AGENT = 'call-agent';

const plan = (mode: SupervisionMode): SupervisionPlan => ({
  supervisionId: SID, callId: 'call', supervisorTelegramId: '900', endpoint: 'PJSIP/+15550009000@trunk-main', callerId: '+15550001111',
  ringTimeoutS: 20, agentChannelId: AGENT, callBridgeId: CALL_BRIDGE, mode,
});

const ev = {
  started: (): SupervisionEvent => ({ type: 'SupervisionStarted', at: 0 }),
  stasis: (channelId: string): SupervisionEvent => ({ type: 'ChannelEnteredStasis', channelId, at: 0 }),
  ended: (channelId: string): SupervisionEvent => ({ type: 'ChannelEnded', channelId, at: 0 }),
  mode: (mode: SupervisionMode): SupervisionEvent => ({ type: 'ModeRequested', mode, at: 0 }),
  callEnded: (): SupervisionEvent => ({ type: 'CallEnded', at: 0 }),
};

/** Applies events one second apart from a new supervision in `mode`. */
function run(mode: SupervisionMode, events: SupervisionEvent[]): { state: SupervisionState; effects: SupervisionEffect[]; last: SupervisionEffect[] } {
  let state = initialSupervisionState(plan(mode), 0);
  const effects: SupervisionEffect[] = [];
  let last: SupervisionEffect[] = [];
  events.forEach((event, i) => {
    ({ state, effects: last } = supervisionTransition(state, { ...event, at: (i + 1) * 1000 }));
    effects.push(...last);
  });
  return { state, effects, last };
}

const requests = (effects: SupervisionEffect[]) => effects.filter((e) => !['StartTimer', 'CancelTimer', 'PublishSupervision', 'RecordSession'].includes(e.type));
const answered = [ev.started(), ev.stasis(SUP)];
const snoop = (n: number) => `${SID}-snoop${n}`;

describe('a supervision', () => {
  it('given a request, when it starts, then the supervisor\'s phone is rung into the app with a ring timer', () => {
    const { effects, state } = run('listen', [ev.started()]);
    expect(effects).toEqual([
      { type: 'OriginateSupervisor', channelId: SUP, endpoint: 'PJSIP/+15550009000@trunk-main', callerId: '+15550001111', timeoutS: 20, appArgs: `supervision,${SID},call,900` },
      { type: 'StartTimer', timer: 'ring', ms: 25000 },
    ]);
    expect(state.stage).toBe('ringing');
  });

  it('given listen, when the supervisor answers, then our bridge holds the supervisor and a snoop on the agent\'s leg that only spies', () => {
    const { last, state } = run('listen', answered);
    expect(requests(last)).toEqual([
      { type: 'CreateBridge', bridgeId: OWN },
      { type: 'AddToBridge', bridgeId: OWN, channelId: SUP },
      { type: 'Snoop', snoopChannelId: snoop(1), targetChannelId: AGENT, whisper: 'none', appArgs: `supervision,${SID},call,900` },
    ]);
    expect(state.stage).toBe('active');
    expect(requests(run('listen', [...answered, ev.stasis(snoop(1))]).last)).toEqual([{ type: 'AddToBridge', bridgeId: OWN, channelId: snoop(1) }]);
  });

  it('given whisper, when the supervisor answers, then the snoop whispers towards the agent (out)', () => {
    const { last } = run('whisper', answered);
    expect(requests(last)).toContainEqual(expect.objectContaining({ type: 'Snoop', whisper: 'out', targetChannelId: AGENT }));
  });

  it('given barge, when the supervisor answers, then they join the call\'s bridge and nothing else is made', () => {
    const { last, state } = run('barge', answered);
    expect(requests(last)).toEqual([{ type: 'AddToBridge', bridgeId: CALL_BRIDGE, channelId: SUP }]);
    expect(state.ownBridge).toBe(false);
  });

  describe('switching modes without re-dialing', () => {
    it('given listening, when whisper is asked, then the snoop is replaced by one that whispers out', () => {
      const { last, state } = run('listen', [...answered, ev.stasis(snoop(1)), ev.mode('whisper')]);
      expect(requests(last)).toEqual([
        { type: 'HangupChannel', channelId: snoop(1) },
        { type: 'Snoop', snoopChannelId: snoop(2), targetChannelId: AGENT, whisper: 'out', appArgs: `supervision,${SID},call,900` },
      ]);
      expect(state.mode).toBe('whisper');
    });

    it('given whispering, when listen is asked, then the snoop is replaced by one that only spies', () => {
      const { last } = run('whisper', [...answered, ev.mode('listen')]);
      expect(requests(last)).toContainEqual(expect.objectContaining({ type: 'Snoop', snoopChannelId: snoop(2), whisper: 'none' }));
    });

    it('given listening, when barge is asked, then the supervisor moves into the call\'s bridge and ours goes', () => {
      const { last, state } = run('listen', [...answered, ev.stasis(snoop(1)), ev.mode('barge')]);
      expect(requests(last)).toEqual([
        { type: 'HangupChannel', channelId: snoop(1) },
        { type: 'MoveToBridge', channelId: SUP, from: OWN, to: CALL_BRIDGE },
        { type: 'DestroyBridge', bridgeId: OWN },
      ]);
      expect(state.snoop).toBeUndefined();
    });

    it('given barging, when listen is asked, then the supervisor moves into a new bridge of ours with a new snoop', () => {
      const { last } = run('barge', [...answered, ev.mode('listen')]);
      expect(requests(last)).toEqual([
        { type: 'CreateBridge', bridgeId: OWN },
        { type: 'MoveToBridge', channelId: SUP, from: CALL_BRIDGE, to: OWN },
        { type: 'Snoop', snoopChannelId: snoop(1), targetChannelId: AGENT, whisper: 'none', appArgs: `supervision,${SID},call,900` },
      ]);
    });

    it('given a switch, when the old snoop\'s channel ends, then the supervision goes on', () => {
      const { state, last } = run('listen', [...answered, ev.mode('whisper'), ev.ended(snoop(1))]);
      expect(state.stage).toBe('active');
      expect(last).toEqual([]);
    });

    it('given the same mode or a supervisor not yet answered, when a mode is asked, then nothing changes', () => {
      expect(run('listen', [...answered, ev.mode('listen')]).last).toEqual([]);
      expect(run('listen', [ev.started(), ev.mode('barge')]).last).toEqual([]);
    });
  });

  describe('ending', () => {
    it('given listening, when the supervisor hangs up, then the snoop and our bridge go, and the call is not touched', () => {
      const { last, state } = run('listen', [...answered, ev.stasis(snoop(1)), ev.ended(SUP)]);
      expect(requests(last)).toEqual([{ type: 'HangupChannel', channelId: snoop(1) }, { type: 'DestroyBridge', bridgeId: OWN }]);
      expect(state.end).toBe('supervisor_left');
    });

    it('given barging, when the supervisor hangs up, then nothing is asked of Asterisk (the call\'s bridge is the call\'s)', () => {
      const { last } = run('barge', [...answered, ev.ended(SUP)]);
      expect(requests(last)).toEqual([]);
    });

    it('given whispering, when the call ends, then the supervisor and the snoop are hung up and our bridge destroyed', () => {
      const { last, state } = run('whisper', [...answered, ev.callEnded()]);
      expect(requests(last)).toEqual([
        { type: 'HangupChannel', channelId: SUP }, { type: 'HangupChannel', channelId: snoop(1) }, { type: 'DestroyBridge', bridgeId: OWN },
      ]);
      expect(state.end).toBe('call_ended');
    });

    it('given the current snoop ends (the agent\'s leg is gone), then the supervision ends', () => {
      const { state, last } = run('listen', [...answered, ev.ended(snoop(1))]);
      expect(state.end).toBe('agent_left');
      expect(requests(last)).toEqual([{ type: 'HangupChannel', channelId: SUP }, { type: 'DestroyBridge', bridgeId: OWN }]);
    });

    it('given a ringing supervisor, when the ring timer fires, then their leg is hung up and the session recorded as unanswered', () => {
      const { state, last } = run('listen', [ev.started(), { type: 'RingTimerExpired', at: 0 }]);
      expect(requests(last)).toEqual([{ type: 'HangupChannel', channelId: SUP }]);
      expect(last).toContainEqual({ type: 'RecordSession', record: expect.objectContaining({ end: 'supervisor_no_answer', seconds: null, modes: [] }) });
      expect(state.stage).toBe('ended');
    });

    it('given a session in several modes, when it ends, then its record has who, which call, the modes in order and how long', () => {
      const { effects } = run('listen', [...answered, ev.mode('whisper'), ev.mode('barge'), ev.callEnded()]);
      expect(effects.filter((e) => e.type === 'RecordSession')).toEqual([{
        type: 'RecordSession',
        record: { supervisionId: SID, callId: 'call', supervisorTelegramId: '900', modes: ['listen', 'whisper', 'barge'], seconds: 3, end: 'call_ended' },
      }]);
    });

    it('given an ended supervision, when anything happens, then nothing changes', () => {
      const { state } = run('listen', [...answered, ev.callEnded()]);
      expect(supervisionTransition(state, ev.mode('barge')).effects).toEqual([]);
      expect(supervisionTransition(state, ev.ended(SUP)).effects).toEqual([]);
    });

    it('given a refused request, then the supervision ends and lets go of what it made', () => {
      const { state, last } = run('listen', [...answered, { type: 'RequestFailed', request: 'snoop', error: 'Channel not found', at: 0 }]);
      expect(state.end).toBe('failed');
      expect(requests(last)).toEqual([
        { type: 'HangupChannel', channelId: SUP }, { type: 'HangupChannel', channelId: snoop(1) }, { type: 'DestroyBridge', bridgeId: OWN },
      ]);
    });
  });
});
