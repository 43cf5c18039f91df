import { Subject } from 'rxjs';
import { ClusterParties, type ClusterPartiesDeps } from '../../cluster/cluster-parties';
import type { PartyRequests } from '../../cluster/party-requests';
import type { ServerCallRow } from '../../cluster/cluster-call-store';
import type { CallParties, PartyAnswer, PartyRequester } from '../../engine/call-parties';
import type { PartyAgent } from '../../engine/call-parties-desk';

const ANN: PartyRequester = { agentId: 1, isAdmin: false, telegramId: '2001' };
const CAROL: PartyRequester = { agentId: 3, isAdmin: false, telegramId: '2003' };
const agent = (id: number, displayName: string, phone: string | null = `+1555123000${id}`): PartyAgent =>
  ({ id, telegramId: String(2000 + id), phone, callerId: null, route: 'M', displayName });

/** The call's row as the database has it: connected on server a1, Ann on it. */
const row = { id: 'call-1', stage: 'connected', context: { route: 'M', agentId: 1 } } as unknown as ServerCallRow;

function setUp(over: { runsHere?: boolean; answers?: (PartyAnswer | 'waiting' | 'claimed')[]; withdraw?: boolean; timeoutMs?: number } = {}) {
  const local = {
    transfer: jest.fn<Promise<PartyAnswer>, Parameters<CallParties['transfer']>>(async () => ({ ok: false, refusal: 'no_such_call' })),
    addParty: jest.fn<ReturnType<CallParties['addParty']>, Parameters<CallParties['addParty']>>(),
    finishConsult: jest.fn<ReturnType<CallParties['finishConsult']>, Parameters<CallParties['finishConsult']>>(),
    transferCandidates: jest.fn<ReturnType<CallParties['transferCandidates']>, Parameters<CallParties['transferCandidates']>>(async () => []),
  };
  const answers = [...(over.answers ?? [])];
  const requests = {
    request: jest.fn(async () => true),
    answerOf: jest.fn(async () => (answers.length > 1 ? answers.shift()! : answers[0] ?? 'waiting')),
    withdraw: jest.fn(async () => over.withdraw ?? true),
  };
  const onCall = new Map<number, ServerCallRow>([[1, row]]);
  const deps: ClusterPartiesDeps = {
    local: Object.assign(local, { refusals: new Subject<never>() }), runsHere: () => over.runsHere ?? false,
    requests: requests as unknown as PartyRequests,
    clusterCalls: { liveCall: async (id) => (id === row.id ? row : null), liveCallOfAgent: async (id) => onCall.get(id) ?? null },
    agents: { activeAgentsOnRoute: async () => [agent(1, 'Ann'), agent(2, 'Bob'), agent(3, 'Carol'), agent(4, 'Dan', null)] },
    calls: { latestPlacedCallOfAgent: async (id) => (id === 3 ? { endedAt: null } : null) },
    answerPollMs: 1, unclaimedTimeoutMs: over.timeoutMs ?? 60_000, answerTimeoutMs: over.timeoutMs ?? 60_000, newId: () => 'req-1',
  };
  return { parties: new ClusterParties(deps), local, requests };
}

describe('ClusterParties: a transfer asked for on any instance of a cluster', () => {
  it('given the call runs on this instance, when its agent transfers it, then this instance\'s party desk answers and nothing is recorded for another', async () => {
    const { parties, local, requests } = setUp({ runsHere: true });
    await parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold');
    expect(local.transfer).toHaveBeenCalledTimes(1);
    expect(requests.request).not.toHaveBeenCalled();
  });

  it('given the call runs on another instance, when its agent transfers it cold, then the request is recorded for the owner and the owner\'s answer is the answer', async () => {
    const { parties, local, requests } = setUp({ answers: ['waiting', 'claimed', { ok: true, legId: 'p3', label: 'Bob' }] });
    await expect(parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold')).resolves.toEqual({ ok: true, legId: 'p3', label: 'Bob' });
    expect(requests.request).toHaveBeenCalledWith('req-1', 'call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold');
    expect(local.transfer).not.toHaveBeenCalled();
  });

  it('given the call runs on another instance, when its agent asks for a warm transfer, then it stays with this instance (which runs no such call) and nothing is recorded', async () => {
    const { parties, requests } = setUp();
    await expect(parties.transfer('call-1', ANN, { kind: 'number', number: '+12025550199' }, 'warm')).resolves.toEqual({ ok: false, refusal: 'no_such_call' });
    expect(requests.request).not.toHaveBeenCalled();
  });

  it('given no owner claims the request in time, when its agent transfers it cold, then the request is withdrawn and answered not now', async () => {
    const { parties, requests } = setUp({ answers: ['waiting'], timeoutMs: 20 });
    await expect(parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold')).resolves.toEqual({ ok: false, refusal: 'not_now' });
    expect(requests.withdraw).toHaveBeenCalledWith('req-1');
  });

  it('given the call runs on another instance, when its agent asks whom to transfer to, then the agents on its route with a phone and no live call anywhere are listed, from the database', async () => {
    const { parties } = setUp();
    await expect(parties.transferCandidates('call-1', ANN)).resolves.toEqual([{ agentId: 2, label: 'Bob' }]);
  });

  it('given the call runs on another instance, when an agent who is not on it asks whom to transfer to, then nobody is listed', async () => {
    const { parties } = setUp();
    await expect(parties.transferCandidates('call-1', CAROL)).resolves.toEqual([]);
  });
});
