import type { PartyView } from '../../call/call-types';
import type { Call } from '../../entities';
import { type StoredLeg, cardOfCall, cardOfLive, cardOfUpdate, partiesOfLegs, storedOwnerOf } from '../../miniapp/call-cards';
import { PARTY } from '../../telegram/texts';
import { ANN, BOB, ann, connected, context, customer } from '../support/party-updates';

const held: PartyView = { ...customer, status: 'held' };

/** The Mini App's call card: the buttons its status message gives the viewer, in the card's own terms. */
describe('the Mini App\'s call card', () => {
  it('given a connected call of two, then its agent gets Transfer; before it connects, nothing', () => {
    expect(cardOfUpdate(connected(), ANN)).toMatchObject({ controls: 'transfer', status: 'Connected' });
    expect(cardOfUpdate({ ...connected(), stage: 'target_ringing' }, ANN).controls).toBe('none');
  });

  it('given a consultation with a colleague on the line, then the owner gets the consultation with the colleague\'s name', () => {
    const card = cardOfUpdate(connected([ann, held, { legId: 'p3', role: 'consulted', label: 'Bob', agentId: BOB, status: 'up' }]), ANN);
    expect(card).toMatchObject({ controls: 'consulting', consulted: 'Bob' });
  });

  it('given a typed number being called for a consultation, then only Back, with the number as the customer reads numbers', () => {
    const card = cardOfUpdate(connected([ann, held, { legId: 'p3', role: 'consulted', label: '+12025550199', status: 'ringing' }]), ANN);
    expect(card).toMatchObject({ controls: 'consult_ringing', consulted: '+1 202-555-0199' });
  });

  it('given a consultation that ended back with the customer, then Transfer again and no consulted party', () => {
    const card = cardOfUpdate(connected([ann, customer, { legId: 'p3', role: 'consulted', label: 'Bob', agentId: BOB, status: 'ended' }]), ANN);
    expect(card.controls).toBe('transfer');
    expect(card.consulted).toBeUndefined();
  });

  it('given the call passed to Bob, then Ann\'s card says so with no buttons, and Bob\'s card gives him Transfer', () => {
    const update = connected([{ ...ann, status: 'ended' }, customer, { legId: 'p3', role: 'agent', label: 'Bob', agentId: BOB, status: 'up' }], { ownerAgentId: BOB });
    expect(cardOfUpdate(update, ANN)).toMatchObject({ controls: 'none', transferred: true, status: PARTY.transferredTo('Bob') });
    expect(cardOfUpdate(update, BOB)).toMatchObject({ controls: 'transfer', status: 'Connected' });
    expect(cardOfUpdate(update, BOB).transferred).toBeUndefined();
  });

  it('given a live call read with its parties, then its card has the controls; read without them (from the database), the card leaves them to the page', () => {
    const parties = [ann, held, { legId: 'p3', role: 'consulted', label: 'Bob', agentId: BOB, status: 'up' } as PartyView];
    expect(cardOfLive({ context, stage: 'connected', parties, ownerAgentId: ANN }, ANN)).toMatchObject({ controls: 'consulting', consulted: 'Bob' });
    expect(cardOfLive({ context, stage: 'connected' }, ANN)).not.toHaveProperty('controls');
  });
});

/** Cluster mode reads a call another instance runs from its row and its legs' rows (the call_legs table). */
describe('the Mini App\'s call card read from the stored call', () => {
  const row = (extra: Partial<Call> = {}): Call => ({
    id: context.callId, agentId: ANN, onCallAgentId: ANN, agentPhone: '+15551230001', target: '+12025550123', route: 'M', callerId: '+15551234567',
    stage: 'connected', outcome: null, endedBy: null, connectedAt: new Date(0), endedAt: null, ...extra,
  } as Call);
  const leg = (legId: string, role: StoredLeg['role'], label: string, agentId: number | null, times: Partial<StoredLeg> = {}): StoredLeg => ({
    legId, role, label, agentId, requestedAt: new Date(0), answeredAt: null, endedAt: null, ...times,
  });
  const annLeg = leg('agent', 'agent', 'Ann', ANN, { answeredAt: new Date(1) });
  const customerLeg = leg('target', 'customer', '+12025550123', null, { answeredAt: new Date(2) });

  it('given legs asked for, answered and ended, then each reads as the engine\'s party (dialing, up, ended); a row without its role yet is left out', () => {
    expect(partiesOfLegs([
      annLeg, customerLeg,
      leg('p3', 'consulted', 'Bob', BOB),
      leg('p4', 'conferenced', '+12025550199', null, { answeredAt: new Date(5), endedAt: new Date(9) }),
      leg('p5', null, 'half-written', null),
    ])).toEqual([
      { legId: 'agent', role: 'agent', label: 'Ann', agentId: ANN, status: 'up', answeredAt: 1 },
      { legId: 'target', role: 'customer', label: '+12025550123', status: 'up', answeredAt: 2 },
      { legId: 'p3', role: 'consulted', label: 'Bob', agentId: BOB, status: 'dialing' },
      { legId: 'p4', role: 'conferenced', label: '+12025550199', status: 'ended', answeredAt: 5, endedAt: 9 },
    ]);
  });

  it('given the row names the agent on the call, then that agent owns it; with nobody on it (passed to a number), the latest agent leg, else the agent who placed it', () => {
    const bobTook = partiesOfLegs([{ ...annLeg, endedAt: new Date(5) }, customerLeg, leg('p3', 'agent', 'Bob', BOB, { answeredAt: new Date(4) })]);
    expect(storedOwnerOf({ agentId: ANN, onCallAgentId: BOB }, [])).toBe(BOB);
    expect(storedOwnerOf({ agentId: ANN, onCallAgentId: null }, bobTook)).toBe(BOB);
    expect(storedOwnerOf({ agentId: ANN, onCallAgentId: null }, [])).toBe(ANN);
  });

  it('given a connected call with no legs written yet (two parties), then its agent gets Transfer; read without legs, the card leaves its buttons to the page', () => {
    expect(cardOfCall(row(), { viewerAgentId: ANN, legs: [] })).toMatchObject({ controls: 'transfer', status: 'Connected' });
    expect(cardOfCall(row({ stage: 'target_ringing' }), { viewerAgentId: ANN, legs: [] })?.controls).toBe('none');
    expect(cardOfCall(row())).not.toHaveProperty('controls');
  });

  it('given a colleague being called, answering, then gone back to the customer, then the owner\'s card goes Back only, the consultation, then Transfer, as an update\'s would', () => {
    const withBob = (times: Partial<StoredLeg>) => ({ viewerAgentId: ANN, legs: [annLeg, customerLeg, leg('p3', 'consulted', 'Bob', BOB, times)] });
    expect(cardOfCall(row(), withBob({}))).toMatchObject({ controls: 'consult_ringing', consulted: 'Bob' });
    expect(cardOfCall(row(), withBob({ answeredAt: new Date(4) }))).toMatchObject({ controls: 'consulting', consulted: 'Bob' });
    const back = cardOfCall(row(), withBob({ answeredAt: new Date(4), endedAt: new Date(6) }));
    expect(back?.controls).toBe('transfer');
    expect(back?.consulted).toBeUndefined();
    // Bob, consulted, is not the call's owner: nothing to press on his side.
    expect(cardOfCall(row(), { ...withBob({ answeredAt: new Date(4) }), viewerAgentId: BOB })?.controls).toBe('none');
  });

  it('given the consultation completed (Bob on the call, Ann gone), then Ann\'s card says it passed to Bob with nothing to press, and Bob\'s gives him Transfer', () => {
    const legs = [{ ...annLeg, endedAt: new Date(6) }, customerLeg, leg('p3', 'agent', 'Bob', BOB, { answeredAt: new Date(4) })];
    const call = row({ onCallAgentId: BOB });
    expect(cardOfCall(call, { viewerAgentId: ANN, legs })).toMatchObject({ controls: 'none', transferred: true, status: PARTY.transferredTo('Bob') });
    expect(cardOfCall(call, { viewerAgentId: BOB, legs })).toMatchObject({ controls: 'transfer', status: 'Connected' });
  });

  it('given the call ended, then its card has the outcome and nothing to press', () => {
    const ended = row({ stage: 'ended', outcome: 'completed', endedBy: 'agent', endedAt: new Date(65_000) });
    expect(cardOfCall(ended, { viewerAgentId: ANN, legs: [annLeg, customerLeg] })).toMatchObject({ final: true, controls: 'none', talkSeconds: 65 });
  });
});
