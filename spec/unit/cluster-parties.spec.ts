import { Subject } from 'rxjs';
import { ClusterParties, type ClusterPartiesDeps, servePartyRequests } from '../../cluster/cluster-parties';
import type { Fence } from '../../cluster/fenced-update';
import type { PartyRequestAnswer, PartyRequestRow, PartyRequests } from '../../cluster/party-requests';
import type { ServerCallRow } from '../../cluster/cluster-call-store';
import type { CallParties, PartyAnswer, PartyRequester } from '../../engine/call-parties';
import type { PartyAgent } from '../../engine/call-parties-desk';

const ANN: PartyRequester = { agentId: 1, isAdmin: false, telegramId: '2001' };
const CAROL: PartyRequester = { agentId: 3, isAdmin: false, telegramId: '2003' };
const agent = (id: number, displayName: string, phone: string | null = `+1555123000${id}`): PartyAgent =>
  ({ id, telegramId: String(2000 + id), phone, callerId: null, route: 'M', displayName });

/** The call's row as the database has it: connected on server a1, Ann on it. */
const row = { id: 'call-1', stage: 'connected', context: { route: 'M', agentId: 1 } } as unknown as ServerCallRow;

function setUp(over: { runsHere?: boolean; answers?: (PartyRequestAnswer | 'waiting' | 'claimed')[]; withdraw?: boolean; timeoutMs?: number; stage?: string; liveAfter?: boolean } = {}) {
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
  const theRow = { ...row, stage: over.stage ?? row.stage } as ServerCallRow;
  let reads = 0;
  const deps: ClusterPartiesDeps = {
    local: Object.assign(local, { refusals: new Subject<never>() }), runsHere: () => over.runsHere ?? false,
    requests: requests as unknown as PartyRequests,
    // The row read before the request; read again after the owner's answer, it is live unless told otherwise.
    clusterCalls: { liveCall: async (id) => (id === row.id && (reads++ === 0 || (over.liveAfter ?? true)) ? theRow : null), liveCallOfAgent: async (id) => onCall.get(id) ?? null },
    agents: { activeAgentsOnRoute: async () => [agent(1, 'Ann'), agent(2, 'Bob'), agent(3, 'Carol'), agent(4, 'Dan', null)] },
    calls: { latestPlacedCallOfAgent: async (id) => (id === 3 ? { endedAt: null } : null) },
    answerPollMs: 1, unclaimedTimeoutMs: over.timeoutMs ?? 60_000, answerTimeoutMs: over.timeoutMs ?? 60_000, newId: () => 'req-1',
  };
  return { parties: new ClusterParties(deps), local, requests };
}

describe('ClusterParties: a party request asked for on any instance of a cluster', () => {
  it('given the call runs on this instance, when its agent transfers it, then this instance\'s party desk answers and nothing is recorded for another', async () => {
    const { parties, local, requests } = setUp({ runsHere: true });
    await parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold');
    expect(local.transfer).toHaveBeenCalledTimes(1);
    expect(requests.request).not.toHaveBeenCalled();
  });

  it('given the call runs on another instance, when its agent transfers it cold, then the request is recorded for the owner and the owner\'s answer is the answer', async () => {
    const { parties, local, requests } = setUp({ answers: ['waiting', 'claimed', { ok: true, legId: 'p3', label: 'Bob' }] });
    await expect(parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold')).resolves.toEqual({ ok: true, legId: 'p3', label: 'Bob' });
    expect(requests.request).toHaveBeenCalledWith('req-1', 'call-1', ANN, { kind: 'transfer', to: { kind: 'agent', agentId: 2 }, mode: 'cold' });
    expect(local.transfer).not.toHaveBeenCalled();
  });

  it('given the call runs on another instance, when its agent asks for a warm transfer, then the request is recorded for the owner, whose consultation it is, and the owner\'s answer is the answer', async () => {
    const { parties, local, requests } = setUp({ answers: [{ ok: true, legId: 'p3', label: '+1 202-555-0199' }] });
    await expect(parties.transfer('call-1', ANN, { kind: 'number', number: '+12025550199' }, 'warm')).resolves.toEqual({ ok: true, legId: 'p3', label: '+1 202-555-0199' });
    expect(requests.request).toHaveBeenCalledWith('req-1', 'call-1', ANN, { kind: 'transfer', to: { kind: 'number', number: '+12025550199' }, mode: 'warm' });
    expect(local.transfer).not.toHaveBeenCalled();
  });

  it('given the call runs on another instance, when its agent adds a party, then the request is recorded for the owner and the owner\'s answer is the answer', async () => {
    const { parties, local, requests } = setUp({ answers: ['claimed', { ok: true, legId: 'p3', label: 'Bob' }] });
    await expect(parties.addParty('call-1', ANN, { kind: 'agent', agentId: 2 })).resolves.toEqual({ ok: true, legId: 'p3', label: 'Bob' });
    expect(requests.request).toHaveBeenCalledWith('req-1', 'call-1', ANN, { kind: 'add', to: { kind: 'agent', agentId: 2 } });
    expect(local.addParty).not.toHaveBeenCalled();
  });

  it.each(['complete', 'back', 'conference'] as const)('given the call runs on another instance, when its agent ends the consultation (%s), then the request is recorded for the owner and the owner\'s answer is the answer', async (how) => {
    const { parties, local, requests } = setUp({ answers: [{ ok: true }] });
    await expect(parties.finishConsult('call-1', ANN, how)).resolves.toEqual({ ok: true });
    expect(requests.request).toHaveBeenCalledWith('req-1', 'call-1', ANN, { kind: 'finish', how });
    expect(local.finishConsult).not.toHaveBeenCalled();
  });

  it('given the owner refuses the requester (not the call\'s agent), when they end the consultation from another instance, then the owner\'s refusal is the answer', async () => {
    const { parties } = setUp({ answers: [{ ok: false, refusal: 'not_owner' }] });
    await expect(parties.finishConsult('call-1', CAROL, 'complete')).resolves.toEqual({ ok: false, refusal: 'not_owner' });
  });

  it('given the owner did not find the call while its row is still live (a take-over under way), when the agent adds a party, then the answer is that the request was not taken in time, never that the call ended', async () => {
    const { parties } = setUp({ answers: [{ ok: false, refusal: 'no_such_call' }] });
    await expect(parties.addParty('call-1', ANN, { kind: 'agent', agentId: 2 })).resolves.toEqual({ ok: false, refusal: 'not_reached' });
  });

  it('given the call ended while the owner had the request, when the owner answers it found no such call, then the answer is that the call ended', async () => {
    const { parties } = setUp({ answers: [{ ok: false, refusal: 'no_such_call' }], liveAfter: false });
    await expect(parties.finishConsult('call-1', ANN, 'back')).resolves.toEqual({ ok: false, refusal: 'no_such_call' });
  });

  it('given the call is recorded but not started yet by its owner, when its agent asks for a warm transfer, then it is answered not now and nothing is recorded', async () => {
    const { parties, local, requests } = setUp({ stage: 'requested' });
    await expect(parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'warm')).resolves.toEqual({ ok: false, refusal: 'not_now' });
    expect(requests.request).not.toHaveBeenCalled();
    expect(local.transfer).not.toHaveBeenCalled();
  });

  it('given no owner claims the request in time, when its agent transfers it cold, then the request is withdrawn and answered not taken in time', async () => {
    const { parties, requests } = setUp({ answers: ['waiting'], timeoutMs: 20 });
    await expect(parties.transfer('call-1', ANN, { kind: 'agent', agentId: 2 }, 'cold')).resolves.toEqual({ ok: false, refusal: 'not_reached' });
    expect(requests.withdraw).toHaveBeenCalledWith('req-1');
  });

  it('given no owner claims the request in time, when its agent ends the consultation, then the request is withdrawn and answered not taken in time', async () => {
    const { parties, requests } = setUp({ answers: ['waiting'], timeoutMs: 20 });
    await expect(parties.finishConsult('call-1', ANN, 'complete')).resolves.toEqual({ ok: false, refusal: 'not_reached' });
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

describe('servePartyRequests: the owner carries out what other instances asked', () => {
  const fence: Fence = { name: 'asterisk:a1', holder: 'b', token: 7n };
  const claimed = (ask: PartyRequestRow['ask'], waitedMs = 100): PartyRequestRow => ({ id: `req-${ask.kind}`, callId: 'call-1', by: ANN, ask, waitedMs });

  function owner(rows: PartyRequestRow[]) {
    const local = {
      transfer: jest.fn<Promise<PartyAnswer>, Parameters<CallParties['transfer']>>(async () => ({ ok: true, legId: 'p3', label: 'Bob' })),
      addParty: jest.fn<Promise<PartyAnswer>, Parameters<CallParties['addParty']>>(async () => ({ ok: true, legId: 'p4', label: 'Bob' })),
      finishConsult: jest.fn<ReturnType<CallParties['finishConsult']>, Parameters<CallParties['finishConsult']>>(async () => ({ ok: true })),
      transferCandidates: jest.fn<ReturnType<CallParties['transferCandidates']>, Parameters<CallParties['transferCandidates']>>(async () => []),
    };
    const answers: [string, PartyRequestAnswer][] = [];
    const requests = { claim: async () => rows, answer: async (id: string, answer: PartyRequestAnswer) => void answers.push([id, answer]) };
    return { serve: servePartyRequests(requests as unknown as PartyRequests, local), local, answers };
  }

  it('given a warm transfer, an added party and a consultation\'s end claimed, when served, then each goes to the party desk\'s own step and its answer is written', async () => {
    const to = { kind: 'agent', agentId: 2 } as const;
    const { serve, local, answers } = owner([claimed({ kind: 'transfer', to, mode: 'warm' }), claimed({ kind: 'add', to }), claimed({ kind: 'finish', how: 'back' })]);
    await serve('a1', fence);
    expect(local.transfer).toHaveBeenCalledWith('call-1', ANN, to, 'warm');
    expect(local.addParty).toHaveBeenCalledWith('call-1', ANN, to);
    expect(local.finishConsult).toHaveBeenCalledWith('call-1', ANN, 'back');
    expect(answers).toEqual([
      ['req-transfer', { ok: true, legId: 'p3', label: 'Bob' }], ['req-add', { ok: true, legId: 'p4', label: 'Bob' }], ['req-finish', { ok: true }],
    ]);
  });

  it('given a request that waited longer than its asker waits for a claim, when served, then it is answered not now and not carried out', async () => {
    const { serve, local, answers } = owner([claimed({ kind: 'finish', how: 'complete' }, 60_000)]);
    await serve('a1', fence);
    expect(local.finishConsult).not.toHaveBeenCalled();
    expect(answers).toEqual([['req-finish', { ok: false, refusal: 'not_now' }]]);
  });
});
