import type { CallStage } from '../../call/call-types';
import type { Agent, Call } from '../../entities';
import { AFTER_CALL_WINDOW_MS, readWallboard, type WallboardSources } from '../../miniapp/wallboard';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const agent = (id: number, name: string, status: Agent['status'] = 'active') => ({ id, displayName: name, status }) as Agent;
const live = (agentId: number, stage: CallStage) => ({
  context: { callId: `c${agentId}`, agentId, agentTelegramId: String(agentId), agentPhone: '+15551230000', target: '+12025550123', route: 'M' as const, callerId: null },
  stage,
});
const ended = (over: Partial<Call>) => ({
  id: 'x', agentId: 0, outcome: 'completed', requestedAt: new Date(NOW - 600_000), connectedAt: new Date(NOW - 500_000), endedAt: new Date(NOW - 60_000), disposition: null, ...over,
}) as Call;

function sources(over: { requireDisposition?: boolean; last?: Record<number, Call>; today?: Call[] } = {}): WallboardSources {
  return {
    config: { afterCall: { dispositions: [], requireDisposition: over.requireDisposition ?? false, noteMaxChars: 500 }, reports: { timeZone: 'UTC', dailyHour: null } },
    desk: { liveCalls: async () => [live(1, 'agent_ringing'), live(2, 'connected')] },
    agents: { list: async () => [agent(1, 'Ann'), agent(2, 'Bob'), agent(3, 'Cy'), agent(4, 'Dee'), agent(5, 'Eve', 'suspended'), agent(6, 'Fay', 'revoked')] },
    calls: { recentCallsOfAgent: async (id) => (over.last?.[id] ? [over.last[id]!] : []) },
    reports: { async *callPages() { yield over.today ?? []; } },
    actions: [],
    now: () => NOW,
  };
}

describe('miniapp: wallboard', () => {
  it('given agents in every situation, when the wallboard is read, then each has its state and revoked agents are not shown', async () => {
    const board = await readWallboard(sources({
      last: { 3: ended({ agentId: 3 }), 4: ended({ agentId: 4, endedAt: new Date(NOW - AFTER_CALL_WINDOW_MS - 1) }) },
    }));
    expect(board.agents.map((a) => [a.name, a.state])).toEqual([
      ['Ann', 'ringing'], ['Bob', 'in_call'], ['Cy', 'after_call'], ['Dee', 'idle'], ['Eve', 'suspended'],
    ]);
    expect(board.liveCalls.map((c) => [c.agent, c.customer, c.status])).toEqual([['Ann', '+1 202-555-0123', 'Your phone is ringing'], ['Bob', '+1 202-555-0123', 'Connected']]);
  });

  it('given a required disposition, when an agent\'s last connected call has none however long ago, then they are in after-call work until they choose one', async () => {
    const old = ended({ agentId: 4, endedAt: new Date(NOW - 3_600_000) });
    expect((await readWallboard(sources({ requireDisposition: true, last: { 4: old } }))).agents.find((a) => a.name === 'Dee')?.state).toBe('after_call');
    expect((await readWallboard(sources({ requireDisposition: true, last: { 4: { ...old, disposition: 'interested' } as Call } }))).agents.find((a) => a.name === 'Dee')?.state).toBe('idle');
  });

  it('given today\'s calls, when the wallboard is read, then refused requests are left out of the calls, answer rate and talk time', async () => {
    const today = [ended({ agentId: 1 }), ended({ agentId: 1, connectedAt: null, outcome: 'target_no_answer' }), ended({ agentId: 2, outcome: 'refused', connectedAt: null })];
    expect((await readWallboard(sources({ today }))).today).toEqual({ calls: 2, answered: 1, answerRatePct: 50, talk: '7:20' });
  });
});
