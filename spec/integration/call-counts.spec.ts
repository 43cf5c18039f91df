import type { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import type { CallOutcome } from '../../call/call-types';
import { addAgent } from '../support/engine-harness';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const NOW = Date.parse('2026-06-10T15:00:00Z');
const HOUR = 3_600_000;

describe(`counting a number's and an agent's placed calls on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let ann: number;
  let bob: number;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    ann = (await addAgent(stores, '2001')).id;
    bob = (await addAgent(stores, '2002')).id;
  });

  afterEach(() => closeDatabase(dataSource));

  async function row(agentId: number, target: string, hoursAgo: number, outcome: CallOutcome | null): Promise<void> {
    const at = new Date(NOW - hoursAgo * HOUR);
    await stores.calls.recordCallRequest({
      id: randomUUID(), agentId, targetInput: target, target, stage: outcome ? 'ended' : 'agent_ringing', outcome, requestedAt: at,
    });
  }

  it('counts every placed call to the number, by any agent, live or ended, and no refused request', async () => {
    await row(ann, '+12025550123', 1, 'completed');
    await row(bob, '+12025550123', 2, 'target_no_answer');
    await row(ann, '+12025550123', 0.1, null);
    await row(ann, '+12025550123', 0.5, 'refused');
    await row(ann, '+12025550199', 0.5, 'completed');

    expect(await stores.calls.countPlacedCalls({ target: '+12025550123' }, new Date(NOW - 24 * HOUR))).toBe(3);
  });

  it.each([
    { window: '24 h', hours: 24, expected: 2 },
    { window: '7 days', hours: 7 * 24, expected: 3 },
    { window: '1 h', hours: 1, expected: 0 },
  ])('counts only the calls inside the window ($window)', async ({ hours, expected }) => {
    await row(ann, '+12025550123', 23.9, 'completed');
    await row(ann, '+12025550123', 3, 'completed');
    await row(ann, '+12025550123', 24 * 6.5, 'completed');
    await row(ann, '+12025550123', 24 * 7.5, 'completed');

    expect(await stores.calls.countPlacedCalls({ target: '+12025550123' }, new Date(NOW - hours * HOUR))).toBe(expected);
  });

  it("counts one agent's placed calls, whatever the number", async () => {
    await row(ann, '+12025550123', 0.5, 'completed');
    await row(ann, '+12025550124', 0.2, null);
    await row(ann, '+12025550125', 0.2, 'refused');
    await row(bob, '+12025550123', 0.2, 'completed');

    expect(await stores.calls.countPlacedCalls({ agentId: ann }, new Date(NOW - HOUR))).toBe(2);
  });

  it('has the index the number count reads', async () => {
    const calls = await dataSource.createQueryRunner().getTable('calls');
    expect(calls?.indices.find((i) => i.name === 'ix_calls_target_requested')?.columnNames).toEqual(['target', 'requested_at']);
  });
});
