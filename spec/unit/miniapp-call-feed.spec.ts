import { Subject } from 'rxjs';
import { silentLogger } from '../../config/logger';
import type { CallChange } from '../../engine/call-desk';
import type { Call } from '../../entities';
import type { StoredLeg } from '../../miniapp/call-cards';
import { storedCallFeed } from '../../miniapp/call-feed';
import type { CallCard } from '../../miniapp/miniapp-types';
import { waitFor } from '../support/wait-for';

/** A call row as the feed reads it, at a stage. */
function row(id: string, stage: Call['stage']): Call {
  return {
    id, agentId: 1, onCallAgentId: 1, target: '+12025550123', route: 'M', callerId: '+15550001111', stage,
    outcome: stage === 'ended' ? 'completed' : null, endedBy: stage === 'ended' ? 'agent' : null,
    connectedAt: new Date(0), endedAt: stage === 'ended' ? new Date(65_000) : null,
  } as Call;
}

/** Reads answered by the spec, one at a time, in any order it likes. */
class HeldReads {
  readonly waiting: Array<{ id: string; answer: (call: Call | null) => void }> = [];
  current = new Map<string, Call['stage']>();
  /** Each call's legs as stored now (answered at once: the row's read is the one held). */
  legs = new Map<string, StoredLeg[]>();
  readonly byId = (id: string): Promise<Call | null> => new Promise((resolve) => {
    this.waiting.push({ id, answer: resolve });
  });
  readonly legsOf = (ids: readonly string[]): Promise<Map<string, StoredLeg[]>> =>
    Promise.resolve(new Map(ids.map((id) => [id, this.legs.get(id) ?? []])));

  /** Answers the oldest read of `id` with the row as it is now. */
  answer(id: string): void {
    const index = this.waiting.findIndex((w) => w.id === id);
    if (index < 0) throw new Error(`no read of ${id} is waiting`);
    const [read] = this.waiting.splice(index, 1);
    const stage = this.current.get(id);
    read!.answer(stage ? row(id, stage) : null);
  }
}

/** Cluster mode's feed: a call's changes, announced by the database, read from its row for the agent's card. */
describe('the Mini App\'s feed of stored calls', () => {
  const changes = new Subject<CallChange>();
  let reads: HeldReads;
  let cards: CallCard[];

  beforeEach(() => {
    reads = new HeldReads();
    cards = [];
  });

  const follow = (agentId: number) => storedCallFeed(changes, reads, silentLogger()).cardsOf(agentId).subscribe((card) => cards.push(card));

  it('given changes of another agent\'s call, then the agent\'s card reads nothing', () => {
    const sub = follow(1);
    changes.next({ callId: 'c-9', agentIds: [2, 2] });
    expect(reads.waiting).toHaveLength(0);
    sub.unsubscribe();
  });

  it('given three changes of one call while its row is being read, then it is read once more after, not three times, and the cards come in the order read', async () => {
    const sub = follow(1);
    reads.current.set('c-1', 'agent_ringing');
    for (let i = 0; i < 3; i += 1) changes.next({ callId: 'c-1', agentIds: [1, 1] });
    expect(reads.waiting.map((w) => w.id)).toEqual(['c-1']);
    reads.answer('c-1');
    await waitFor(() => reads.waiting.length === 1, { what: 'the one more read' });
    reads.current.set('c-1', 'ended');
    reads.answer('c-1');
    await waitFor(() => cards.length === 2, { what: 'two cards' });
    expect(cards.map((c) => [c.stage, c.final])).toEqual([['agent_ringing', false], ['ended', true]]);
    expect(cards[1]).toMatchObject({ customer: '+1 202-555-0123', talkSeconds: 65 });
    expect(reads.waiting).toHaveLength(0);
    sub.unsubscribe();
  });

  it('given a consultation on a call another instance runs, when its legs change, then the card read with them gives its owner the consultation\'s buttons, and Transfer once it ended back with the customer', async () => {
    const sub = follow(1);
    const legs = (bob: Partial<StoredLeg>): StoredLeg[] => [
      { legId: 'agent', role: 'agent', label: 'Ann', agentId: 1, requestedAt: new Date(0), answeredAt: new Date(1), endedAt: null },
      { legId: 'target', role: 'customer', label: '+12025550123', agentId: null, requestedAt: new Date(0), answeredAt: new Date(2), endedAt: null },
      { legId: 'p3', role: 'consulted', label: 'Bob', agentId: 2, requestedAt: new Date(3), answeredAt: null, endedAt: null, ...bob },
    ];
    reads.current.set('c-1', 'connected');
    for (const bob of [{}, { answeredAt: new Date(4) }, { answeredAt: new Date(4), endedAt: new Date(5) }]) {
      reads.legs.set('c-1', legs(bob));
      changes.next({ callId: 'c-1', agentIds: [1, 1] });
      reads.answer('c-1');
      const seen = cards.length;
      await waitFor(() => cards.length === seen + 1, { what: 'the card read with its legs' });
    }
    expect(cards.map((c) => [c.controls, c.consulted])).toEqual([['consult_ringing', 'Bob'], ['consulting', 'Bob'], ['transfer', undefined]]);
    sub.unsubscribe();
  });

  it('given an agent\'s live call found without its parties (another instance runs it), then its card is read from its rows; found with them, it is not read', async () => {
    const feed = storedCallFeed(changes, reads, silentLogger());
    reads.current.set('c-1', 'connected');
    const context = { callId: 'c-1', agentId: 1, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+12025550123', route: 'M' as const, callerId: null };
    const stored = feed.liveCardOf({ context, stage: 'connected' }, 1);
    await waitFor(() => reads.waiting.length === 1, { what: 'the row read' });
    reads.answer('c-1');
    expect(await stored).toMatchObject({ callId: 'c-1', controls: 'transfer' });
    expect(await feed.liveCardOf({ context, stage: 'connected', parties: [], ownerAgentId: 1 }, 1)).toMatchObject({ controls: 'transfer' });
    expect(reads.waiting).toHaveLength(0);
  });

  it('given changes of two calls, then each call is read on its own, neither waiting for the other', async () => {
    const sub = follow(1);
    reads.current.set('c-1', 'connected');
    reads.current.set('c-2', 'agent_ringing');
    changes.next({ callId: 'c-1', agentIds: [1, 1] });
    changes.next({ callId: 'c-2', agentIds: [3, 1, 3] });
    expect(reads.waiting.map((w) => w.id)).toEqual(['c-1', 'c-2']);
    reads.answer('c-2');
    await waitFor(() => cards.length === 1, { what: 'the second call\'s card first' });
    expect(cards[0]).toMatchObject({ callId: 'c-2', stage: 'agent_ringing' });
    reads.answer('c-1');
    await waitFor(() => cards.length === 2, { what: 'the first call\'s card' });
    sub.unsubscribe();
  });
});
