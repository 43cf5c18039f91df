import { type CallState, type LegStatus, initialCallState } from '../../call/call-machine';
import { callIds } from '../../call/call-ids';
import { withLeg } from '../../call/leg-state';
import type { CallStage } from '../../call/call-types';
import { type AsteriskView, type ChannelView, idsToRead, readBack } from '../../call/read-back';
import { TEST_PLAN } from '../support/call-plan';

const ids = callIds(TEST_PLAN.callId);
const AT = 5000;

function callAt(stage: CallStage, agent: { status: LegStatus; inStasis: boolean }, target = { status: 'created' as LegStatus, inStasis: false }): CallState {
  const base = initialCallState(TEST_PLAN, 0);
  return withLeg(withLeg({ ...base, stage, bridges: stage === 'requested' ? [] : ['main'] }, 'agent', agent), 'target', target);
}

/** What Asterisk shows of the channel: gone, one of its states, or not read at all. */
const CHANNELS: Record<string, ChannelView | null | undefined> = {
  'gone': null,
  'Down, outside Stasis': { state: 'Down', inStasis: false },
  'Ringing, outside Stasis': { state: 'Ringing', inStasis: false },
  'Down, in Stasis': { state: 'Down', inStasis: true },
  'Up, outside Stasis': { state: 'Up', inStasis: false },
  'Up, in Stasis': { state: 'Up', inStasis: true },
  'not read': undefined,
};
type Channel = keyof typeof CHANNELS;

/**
 * The events read back for the agent's leg, by its state in the machine (rows) and what Asterisk
 * shows of its channel (columns); `gone` differs by whether the call was followed until the gap.
 */
const GONE_FOLLOWED = 'LegEnded';
const GONE_UNFOLLOWED = 'LegGoneUnseen';
const LEG_TABLE: [LegStatus, boolean, Partial<Record<Channel, string[]>>][] = [
  // status      inStasis   what Asterisk shows → events (columns not listed: none)
  ['idle', false, {}],
  ['ended', false, {}],
  ['created', false, { 'gone': ['gone'], 'Up, outside Stasis': ['LegAnswered'], 'Up, in Stasis': ['LegAnswered', 'LegEnteredStasis'], 'Down, in Stasis': ['LegEnteredStasis'] }],
  ['created', true, { 'gone': ['gone'], 'Up, outside Stasis': ['LegAnswered'], 'Up, in Stasis': ['LegAnswered'] }],
  ['dialing', false, { 'gone': ['gone'], 'Ringing, outside Stasis': ['LegRinging'], 'Up, outside Stasis': ['LegAnswered'], 'Up, in Stasis': ['LegAnswered', 'LegEnteredStasis'], 'Down, in Stasis': ['LegEnteredStasis'] }],
  ['dialing', true, { 'gone': ['gone'], 'Ringing, outside Stasis': ['LegRinging'], 'Up, outside Stasis': ['LegAnswered'], 'Up, in Stasis': ['LegAnswered'] }],
  ['ringing', false, { 'gone': ['gone'], 'Up, outside Stasis': ['LegAnswered'], 'Up, in Stasis': ['LegAnswered', 'LegEnteredStasis'], 'Down, in Stasis': ['LegEnteredStasis'] }],
  ['ringing', true, { 'gone': ['gone'], 'Up, outside Stasis': ['LegAnswered'], 'Up, in Stasis': ['LegAnswered'] }],
  ['up', false, { 'gone': ['gone'], 'Up, in Stasis': ['LegEnteredStasis'], 'Down, in Stasis': ['LegEnteredStasis'] }],
  ['up', true, { 'gone': ['gone'] }],
];

const legRows = LEG_TABLE.flatMap(([status, inStasis, events]) => (Object.keys(CHANNELS) as Channel[]).flatMap((channel) =>
  [true, false].map((followed) => ({
    status, inStasis, channel, followed,
    expected: (events[channel] ?? []).map((e) => (e === 'gone' ? (followed ? GONE_FOLLOWED : GONE_UNFOLLOWED) : e)),
  }))));

describe('reading Asterisk\'s view of a call back into events', () => {
  describe('a leg', () => {
    it.each(legRows)('given the agent leg $status (in Stasis: $inStasis), when Asterisk shows its channel $channel (followed until the gap: $followed), then the events are $expected', ({ status, inStasis, channel, followed, expected }) => {
      const state = callAt('agent_ringing', { status, inStasis });
      const shown = CHANNELS[channel];
      const view: AsteriskView = {
        channels: shown === undefined ? {} : { [ids.agentChannelId]: shown },
        bridges: { [ids.bridgeId]: { members: [] } },
      };
      const events = readBack(state, view, followed, AT);
      expect(events.map((e) => e.type)).toEqual(expected);
      for (const event of events) expect(event).toMatchObject({ leg: 'agent', at: AT });
    });

    it('given a followed call whose leg was found gone, then it ended with no cause known', () => {
      const state = callAt('connected', { status: 'up', inStasis: true }, { status: 'up', inStasis: true });
      const view: AsteriskView = { channels: { [ids.agentChannelId]: null }, bridges: {} };
      expect(readBack(state, view, true, AT)).toEqual([{ type: 'LegEnded', leg: 'agent', cause: null, causeText: 'gone while ARI was disconnected', at: AT }]);
    });
  });

  describe('the bridge', () => {
    const connected = callAt('connected', { status: 'up', inStasis: true }, { status: 'up', inStasis: true });
    const both = { [ids.agentChannelId]: { state: 'Up', inStasis: true }, [ids.targetChannelId]: { state: 'Up', inStasis: true } };
    const BRIDGES: [string, { members: string[] } | null | undefined, string[]][] = [
      ['present with both legs', { members: [ids.agentChannelId, ids.targetChannelId] }, []],
      ['present without the target (its AddToBridge still answers for it)', { members: [ids.agentChannelId] }, []],
      ['present and empty', { members: [] }, []],
      ['gone', null, ['RequestFailed']],
      ['not read', undefined, []],
    ];
    const rows = BRIDGES.flatMap(([bridge, shown, expected]) => [true, false].map((followed) => ({ bridge, shown, expected, followed })));

    it.each(rows)('given a connected call, when its bridge is $bridge (followed: $followed), then the events are $expected', ({ shown, expected, followed }) => {
      const view: AsteriskView = { channels: both, bridges: shown === undefined ? {} : { [ids.bridgeId]: shown } };
      const events = readBack(connected, view, followed, AT);
      expect(events.map((e) => e.type)).toEqual(expected);
      for (const event of events) expect(event).toMatchObject({ type: 'RequestFailed', request: 'bridge', at: AT });
    });

    it('given a call not started yet (its bridge not asked for), when no bridge is found, then nothing is read back', () => {
      const state = callAt('requested', { status: 'idle', inStasis: false }, { status: 'idle', inStasis: false });
      expect(readBack(state, { channels: {}, bridges: { [ids.bridgeId]: null } }, true, AT)).toEqual([]);
      expect(idsToRead(state)).toEqual({ channelIds: [], bridgeIds: [] });
    });
  });

  describe('the whole call', () => {
    it('given both legs and the bridge gone, then the events come leg by leg in the call\'s order, then the bridge', () => {
      const state = callAt('target_ringing', { status: 'up', inStasis: true }, { status: 'ringing', inStasis: true });
      const view: AsteriskView = { channels: { [ids.targetChannelId]: null, [ids.agentChannelId]: null }, bridges: { [ids.bridgeId]: null } };
      expect(readBack(state, view, false, AT).map((e) => [e.type, 'leg' in e ? e.leg : '-'])).toEqual([
        ['LegGoneUnseen', 'agent'], ['LegGoneUnseen', 'target'], ['RequestFailed', '-'],
      ]);
    });

    it('given a call that has ended, when everything is gone, then nothing is read back and nothing needs reading', () => {
      const state = callAt('ended', { status: 'up', inStasis: true }, { status: 'up', inStasis: true });
      const view: AsteriskView = { channels: { [ids.agentChannelId]: null, [ids.targetChannelId]: null }, bridges: { [ids.bridgeId]: null } };
      expect(readBack(state, view, true, AT)).toEqual([]);
      expect(idsToRead(state)).toEqual({ channelIds: [], bridgeIds: [] });
    });

    it('given a live call, then what needs reading is each live leg\'s channel and the bridge', () => {
      const state = callAt('agent_ringing', { status: 'ringing', inStasis: false }, { status: 'created', inStasis: true });
      expect(idsToRead(state)).toEqual({ channelIds: [ids.agentChannelId, ids.targetChannelId], bridgeIds: [ids.bridgeId] });
      const agentOnly = callAt('agent_dialing', { status: 'dialing', inStasis: false }, { status: 'idle', inStasis: false });
      expect(idsToRead(agentOnly)).toEqual({ channelIds: [ids.agentChannelId], bridgeIds: [ids.bridgeId] });
    });
  });
});
