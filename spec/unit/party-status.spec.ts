import { LIVE_STAGES, type PartyView } from '../../call/call-types';
import { T } from '../../telegram/texts';
import type { CallUpdate } from '../../call/call-update';
import { controlsOf } from '../../telegram/party-status';
import { handsOff, renderStatus } from '../../telegram/status-renderer';
import { ANN, BOB, ann, connected, context, customer } from '../support/party-updates';


const viewer = (agentId: number) => ({ agentId, partyButtons: true });
const labels = (update: CallUpdate, agentId = ANN) => renderStatus(update, undefined, viewer(agentId)).markup.inline_keyboard.flat().map((b) => b.text);

describe('the parties in a call\'s status message', () => {
  it('given a plain call of an agent and a customer, then no party lines are added and the owner gets Transfer and Add', () => {
    const update = connected([ann, customer]);
    const { text } = renderStatus(update, undefined, viewer(ANN));
    expect(text).toBe('🟢 Connected\nTo: +1 202-555-0123 [M]\nCaller ID: +15551234567 [M]');
    expect(labels(update)).toEqual(['⏹ Hang up', '↪️ Transfer', '➕ Add']);
  });

  it('given no parties port wired, then only Hang up is shown', () => {
    expect(renderStatus(connected([ann, customer]), undefined, { agentId: ANN, partyButtons: false }).markup.inline_keyboard.flat().map((b) => b.text)).toEqual(['⏹ Hang up']);
  });

  it('given a warm transfer with the colleague ringing, then the customer is on hold, the colleague ringing, and only Back is offered', () => {
    const update = connected([ann, { ...customer, status: 'held' }, { legId: 'p3', role: 'consulted', label: 'Bob', agentId: BOB, status: 'ringing' }]);
    const { text } = renderStatus(update, undefined, viewer(ANN));
    expect(text.split('\n').slice(3)).toEqual(['• You: on the line', '• Customer +1 202-555-0123: on hold', '• Bob (consulted): ringing…']);
    expect(labels(update)).toEqual(['⏹ Hang up', '↩️ Back']);
  });

  it('given the consulted colleague answered, then Complete, Back and Conference are offered', () => {
    const update = connected([ann, { ...customer, status: 'held' }, { legId: 'p3', role: 'consulted', label: 'Bob', agentId: BOB, status: 'up' }]);
    expect(controlsOf(update)).toBe('consulting');
    expect(labels(update)).toEqual(['⏹ Hang up', '✅ Complete', '↩️ Back', '👥 Conference']);
  });

  it('given a conference of three, then everyone is on the line and the owner may transfer or add again', () => {
    const update = connected([ann, customer, { legId: 'p3', role: 'conferenced', label: '+12025550199', status: 'up' }]);
    expect(renderStatus(update, undefined, viewer(ANN)).text).toContain('• +1 202-555-0199: on the line');
    expect(labels(update)).toEqual(['⏹ Hang up', '↪️ Transfer', '➕ Add']);
  });

  it('given a party being dialed for a cold transfer, then no transfer or add is offered until it answers or fails', () => {
    expect(controlsOf(connected([ann, customer, { legId: 'p3', role: 'conferenced', label: 'Bob', agentId: BOB, status: 'dialing' }]))).toBe('none');
  });

  it('given the call was handed to another agent, then the first agent\'s message ends with "transferred to" them and has no buttons', () => {
    const update = connected([{ ...ann, status: 'ended' }, customer, { legId: 'p3', role: 'agent', label: 'Bob', agentId: BOB, status: 'up' }], { ownerAgentId: BOB });
    expect(handsOff(update, viewer(ANN))).toBe(true);
    const { text, markup } = renderStatus(update, undefined, viewer(ANN));
    expect(text.split('\n').at(-1)).toBe('↪️ Transferred to Bob');
    expect(markup.inline_keyboard).toEqual([]);
  });

  it('given the same update seen by the agent who took it, then they are "you", the owner, with the buttons', () => {
    const update = connected([{ ...ann, status: 'ended' }, customer, { legId: 'p3', role: 'agent', label: 'Bob', agentId: BOB, status: 'up' }], { ownerAgentId: BOB });
    expect(handsOff(update, viewer(BOB))).toBe(false);
    const { text } = renderStatus(update, undefined, viewer(BOB));
    expect(text).toContain('• You: on the line');
    expect(text).toContain('• Ann: left');
    expect(text).not.toContain('Transferred');
    expect(labels(update, BOB)).toEqual(['⏹ Hang up', '↪️ Transfer', '➕ Add']);
  });

  it('given a cold transfer to a number, then the agent who left reads "transferred to" the number, without buttons, and the message stops', () => {
    const update = connected([{ ...ann, status: 'ended' }, customer, { legId: 'p3', role: 'conferenced', label: '+12025550199', status: 'up' }]);
    const { text } = renderStatus(update, undefined, viewer(ANN));
    expect(text.split('\n').at(-1)).toBe('↪️ Transferred to +1 202-555-0199');
    expect(labels(update)).toEqual([]);
    expect(handsOff(update, viewer(ANN))).toBe(true);
  });

  it('given the agent left a cold transfer still ringing, then the message goes on: nobody has taken the call yet', () => {
    const update = connected([{ ...ann, status: 'ended' }, customer, { legId: 'p3', role: 'conferenced', label: '+12025550199', status: 'ringing' }]);
    expect(handsOff(update, viewer(ANN))).toBe(false);
  });

  it('given the final update of a handed-over call without an owner in it, then the new owner\'s message ends normally', () => {
    const final: CallUpdate = { context, stage: 'ended', at: 0, final: true, outcome: 'completed', endedBy: 'target', talkSeconds: 12 };
    expect(handsOff(final, viewer(BOB))).toBe(false);
    expect(renderStatus(final, undefined, viewer(BOB)).text).toMatch(/^📴 Call ended/);
  });

  it('never says "target" to the user', () => {
    const update = connected([ann, { ...customer, status: 'held' }, { legId: 'p3', role: 'consulted', label: 'Bob', status: 'up' }]);
    expect(renderStatus(update, undefined, viewer(ANN)).text.toLowerCase()).not.toContain('target');
  });
});

describe('a live call in the admin\'s lists', () => {
  it.each(LIVE_STAGES.map((s) => [s]))('given the stage %s, then it is named without "target"', (stage) => {
    expect(T.liveCallLabel('2001', '+1 202-555-0123', 'M', stage).toLowerCase()).not.toContain('target');
    expect(T.agentLine({ displayName: 'Ann', username: null, telegramId: '2001', status: 'active', phone: null }, 'Caller ID: not set [M]', { customer: '+1 202-555-0123', stage }).toLowerCase()).not.toContain('target');
  });
});

describe('the recording in a call\'s status message', () => {
  const recorded = (status: 'recording' | 'paused' | 'failed' | 'stopped', extra: Partial<CallUpdate> = {}, failure?: string): CallUpdate =>
    connected([ann, customer], { recording: { name: `${context.callId}-rec`, status, pausedMs: 0, startedAt: 0, ...(failure ? { failure } : {}) }, ...extra });

  it.each<[string, CallUpdate, string | undefined, string]>([
    ['recording', recorded('recording'), '⏺ Recording', '⏸ Pause recording'],
    ['paused', recorded('paused'), '⏸ Recording paused', '▶️ Resume recording'],
  ])('given the call %s, then the message says so and its agent gets the matching button under the others', (_name, update, line, button) => {
    expect(renderStatus(update, undefined, viewer(ANN)).text.split('\n').at(-1)).toBe(line);
    expect(labels(update)).toEqual(['⏹ Hang up', '↪️ Transfer', '➕ Add', button]);
  });

  it('given a recording Asterisk refused, then the message says it is not recorded, and why, and offers no recording button', () => {
    const update = recorded('failed', {}, 'Asterisk refused to record: Internal Server Error');
    expect(renderStatus(update, undefined, viewer(ANN)).text.split('\n').at(-1)).toBe('⚠️ Not recorded: Asterisk refused to record: Internal Server Error.');
    expect(labels(update)).toEqual(['⏹ Hang up', '↪️ Transfer', '➕ Add']);
  });

  it('given the call handed to another agent, then only the agent who has it now gets the recording button', () => {
    const update = connected([{ ...ann, status: 'ended' }, customer, { legId: 'p3', role: 'agent', label: 'Bob', agentId: BOB, status: 'up' }], {
      ownerAgentId: BOB, recording: { name: `${context.callId}-rec`, status: 'recording', pausedMs: 0 },
    });
    expect(labels(update, BOB)).toContain('⏸ Pause recording');
    expect(labels(update, ANN)).toEqual([]);
  });

  it('given the customer hearing the consent announcement, then the headline says so and no recording button is offered yet', () => {
    const update: CallUpdate = { context, stage: 'target_ringing', at: 0, final: false, announcing: true };
    expect(renderStatus(update, undefined, viewer(ANN)).text.split('\n')[0]).toBe('📢 The customer answered and hears that the call is recorded…');
    expect(labels(update)).toEqual(['⏹ Hang up']);
  });

  it('given a call not recorded, then nothing is said of a recording and no button is offered', () => {
    const update = connected([ann, customer]);
    expect(renderStatus(update, undefined, viewer(ANN)).text).not.toMatch(/[Rr]ecord/);
    expect(labels(update)).toEqual(['⏹ Hang up', '↪️ Transfer', '➕ Add']);
  });

  it('given the call ended recorded, then its final status has no recording line and no recording button', () => {
    const update = recorded('stopped', { stage: 'ended', final: true, outcome: 'completed', endedBy: 'target', talkSeconds: 5 });
    const { text, markup } = renderStatus(update, undefined, viewer(ANN));
    expect(text).not.toMatch(/⏺|⏸/);
    expect(markup.inline_keyboard.flat().map((b) => b.text)).not.toContain('⏸ Pause recording');
  });
});

describe('a party whose dial failed after its network\'s audio, in a call\'s status message', () => {
  const added = (failedAfterEarlyMedia: PartyView['failedAfterEarlyMedia']): PartyView => ({
    legId: 'p3', role: 'conferenced', label: '+12025550184', status: 'ended', ...(failedAfterEarlyMedia ? { failedAfterEarlyMedia } : {}),
  });

  it('given its cause tells what the announcement said (1), then the status message says so under the parties, as for a customer', () => {
    const { text } = renderStatus(connected([ann, customer, added({ hangupCause: 1 })]), undefined, viewer(ANN));
    expect(text.split('\n').slice(3)).toEqual([
      '• You: on the line', '• Customer +1 202-555-0123: on the line', '• +1 202-555-0184: left',
      '🔊 +1 202-555-0184\'s network played an announcement before the call failed: most likely the number is not in service (cause 1).',
    ]);
  });

  it('given a cause that says nothing (16), or no early media, then only that it left is shown', () => {
    for (const party of [added({ hangupCause: 16 }), added(undefined)]) {
      expect(renderStatus(connected([ann, customer, party]), undefined, viewer(ANN)).text).not.toMatch(/🔊/);
    }
  });
});
