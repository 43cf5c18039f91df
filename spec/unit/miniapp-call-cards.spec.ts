import type { PartyView } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';
import { cardOfLive, cardOfUpdate } from '../../miniapp/call-cards';
import { PARTY } from '../../telegram/texts';

const ANN = 7;
const BOB = 8;
const context = {
  callId: '0f0e0d0c-0b0a-4908-8706-050403020100', agentId: ANN, agentTelegramId: '2001', agentPhone: '+15551230001',
  target: '+12025550123', route: 'M' as const, callerId: '+15551234567',
};
const ann: PartyView = { legId: 'agent', role: 'agent', label: 'Ann', agentId: ANN, status: 'up' };
const customer: PartyView = { legId: 'target', role: 'customer', label: '+12025550123', status: 'up' };
const held: PartyView = { ...customer, status: 'held' };

function connected(parties?: PartyView[], extra: Partial<CallUpdate> = {}): CallUpdate {
  return { context, stage: 'connected', at: 0, final: false, ...(parties ? { parties } : {}), ...extra };
}

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
