import type { AgentRecord } from '../../engine/call-engine-ports';
import type { EarlierCallRow, ReturnCallSources } from '../../engine/return-call-intake';
import { type RingingReturnCall, returnCallResume } from '../../engine/return-call-resume';

const NOW = Date.UTC(2026, 0, 10);
const CUSTOMER = '+12025550123';
const POOL_NUMBER = '+15550001111';
const ROUTES = { M: { endpointTemplate: 'PJSIP/{number}@trunk-main' }, D: { endpointTemplate: 'PJSIP/{number}@trunk-dev' } };

const agent = (id: number, name: string, patch: Partial<AgentRecord> = {}): AgentRecord => ({
  id, telegramId: String(2000 + id), phone: `+1555123000${id}`, callerId: POOL_NUMBER, route: 'M', displayName: name, ...patch,
});

/** Ann (1) called the customer an hour ago; Bob (2) and Cleo (3) are on the route, Cleo idle longer. */
function resumeWith(agents: AgentRecord[], busy: number[] = []) {
  const earlier: EarlierCallRow[] = [{ id: 'c-ann', agentId: 1, route: 'M', callerId: POOL_NUMBER, requestedAt: new Date(NOW - 3600_000) }];
  const sources: ReturnCallSources = {
    poolRoutesOf: async () => ['M'],
    callsToCustomerSince: async () => earlier,
    activeAgents: async () => agents,
    idleSince: async (id) => new Date(NOW - (id === 3 ? 7200_000 : 600_000)),
    busyAgents: async () => new Set(busy),
  };
  return returnCallResume({ sources, settings: { windowDays: 30 }, routes: ROUTES, isBusy: () => false, now: () => NOW });
}

const ringing = (ringingAgentId: number, firstAgentId = 1): RingingReturnCall => ({
  route: 'M', customerNumber: CUSTOMER, calledNumber: POOL_NUMBER, firstAgentId, ringingAgentId,
});

describe('a return call still ringing when its process stopped: whom it goes on to', () => {
  it('given Ann rings (busy with this call, as the database says), then the call goes on to Cleo and Bob, longest idle first, each on the route\'s trunk', async () => {
    const { ringing: now, next } = await resumeWith([agent(1, 'Ann'), agent(2, 'Bob'), agent(3, 'Cleo')], [1]).agentsAfter(ringing(1));
    expect(now).toMatchObject({ agentId: 1, label: 'Ann' });
    expect(next.map((a) => [a.agentId, a.label, a.reason])).toEqual([[3, 'Cleo', 'idle'], [2, 'Bob', 'idle']]);
    expect(next[0]!.endpoint).toBe('PJSIP/+15551230003@trunk-main');
  });

  it('given Cleo rings after Ann, then only Bob is left: neither Ann (rung first) nor Cleo is rung again', async () => {
    const { next } = await resumeWith([agent(1, 'Ann'), agent(2, 'Bob'), agent(3, 'Cleo')], [3]).agentsAfter(ringing(3));
    expect(next.map((a) => a.agentId)).toEqual([2]);
  });

  it('given Bob went on another call and Cleo has no phone, then nobody is left after Ann (her not answering is a missed call)', async () => {
    const { next } = await resumeWith([agent(1, 'Ann'), agent(2, 'Bob'), agent(3, 'Cleo', { phone: null })], [1, 2]).agentsAfter(ringing(1));
    expect(next).toEqual([]);
  });

  it('given Ann was revoked while her phone rings, then the one rung now is not known to the agents (the row\'s phone is kept) and the others still follow', async () => {
    const { ringing: now, next } = await resumeWith([agent(2, 'Bob'), agent(3, 'Cleo')]).agentsAfter(ringing(1));
    expect(now).toBeUndefined();
    expect(next.map((a) => a.agentId)).toEqual([3, 2]);
  });
});
