import { timedCallRecords } from '../../ops/timed-call-records';
import { AgentHasLiveCall, type CallRecords, type CallRequestRecord } from '../../engine/call-engine-ports';

describe('timed call records', () => {
  const request: CallRequestRecord = { id: 'c-1', agentId: 7, targetInput: 'x', stage: 'requested', requestedAt: new Date() };

  async function timedWith(refusal: Error): Promise<{ ok: boolean }[]> {
    const seen: { ok: boolean }[] = [];
    const calls: CallRecords = {
      recordCallRequest: async () => { throw refusal; },
      recordCallTransition: async () => undefined,
      liveCalls: async () => [],
      latestPlacedCallOfAgent: async () => null,
      placingAlone: (step) => step(),
    };
    await expect(timedCallRecords(calls, (_write, _s, ok) => seen.push({ ok })).recordCallRequest(request)).rejects.toBe(refusal);
    await new Promise((r) => setImmediate(r));
    return seen;
  }

  it('given the database refuses the row because the agent has a live call, then the write counts as ok and the refusal still reaches the engine', async () => {
    expect(await timedWith(new AgentHasLiveCall(7))).toEqual([{ ok: true }]);
  });

  it('given any other failure, then the write counts as failed', async () => {
    expect(await timedWith(new Error('disk full'))).toEqual([{ ok: false }]);
  });
});
