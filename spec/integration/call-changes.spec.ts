import type { DataSource } from 'typeorm';
import { callChangesOf } from '../../cluster/call-changes';
import { PgNotifications } from '../../cluster/pg-notifications';
import { silentLogger } from '../../config/logger';
import type { CallChange } from '../../engine/call-desk';
import { CALL_CHANGES_CHANNEL } from '../../entities/migrations/1768100000000-api-rate-and-call-changes';
import { createStores, type Stores } from '../../store';
import { openDatabase } from '../../store/data-source';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * The calls_changed trigger (migration 1768100000000) and the call_legs_changed trigger (migration
 * 1768350000000) on PostgreSQL: what every instance's Mini App streams learn of the cluster's calls.
 * A change is announced whichever connection wrote it.
 */
onPostgres('the calls\' change announcements (cluster mode)', () => {
  let dataSource: DataSource;
  let stores: Stores;
  let listener: PgNotifications;
  let changes: CallChange[];
  let ann: number;
  let bob: number;

  beforeEach(async () => {
    const url = await freshDatabaseUrl();
    ({ dataSource } = await openDatabase(url));
    stores = createStores(dataSource);
    ann = (await stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: null, by: '1000', displayName: 'Ann' })).id;
    bob = (await stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', callerId: null, by: '1000', displayName: 'Bob' })).id;
    listener = new PgNotifications(url, CALL_CHANGES_CHANNEL, silentLogger());
    await listener.start();
    changes = [];
    callChangesOf(listener.payloads, silentLogger()).subscribe((change) => changes.push(change));
  });
  afterEach(async () => {
    await listener.stop();
    await closeDatabase(dataSource);
  });

  const call = (id: string, serverId: string | null, agentId = ann) => stores.calls.recordCallRequest({
    id, agentId, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'requested', requestedAt: new Date(), serverId,
  });

  it('given a cluster call (one with a server), when it is recorded, changes stage and is transferred, then each is announced with its agents; an update that changes neither is not', async () => {
    await call('c-1', 'a1');
    await waitFor(() => changes.length === 1, { what: 'the recording announced' });
    await stores.calls.recordCallTransition('c-1', { stage: 'agent_ringing' });
    await stores.calls.recordCallTransition('c-1', { statusMessageId: 42 });
    await stores.calls.recordCallTransition('c-1', { onCallAgentId: bob });
    await stores.calls.recordCallTransition('c-1', { stage: 'ended', outcome: 'completed', endedAt: new Date() });
    await waitFor(() => changes.length >= 4, { what: 'four announcements' });
    expect(changes.map((c) => c.callId)).toEqual(['c-1', 'c-1', 'c-1', 'c-1']);
    expect(changes[0]!.agentIds).toEqual([ann, ann]);
    // The transfer names both the agent who had the call and the one who has it now.
    expect(changes[2]!.agentIds).toEqual([ann, bob, ann]);
    // A later announcement shows the status message's update was not one.
    await call('c-2', 'a1');
    await waitFor(() => changes.some((c) => c.callId === 'c-2'), { what: 'the next call announced' });
    expect(changes.filter((c) => c.callId === 'c-1')).toHaveLength(4);
  });

  it('given a cluster call, when its legs are written (a colleague rung, answering, leaving), then each change is announced as the call\'s, naming its agents; a leg rewritten as it was is not', async () => {
    await call('c-1', 'a1');
    await stores.calls.recordCallTransition('c-1', { stage: 'connected' });
    await waitFor(() => changes.length === 2, { what: 'the recording and the connection announced' });
    changes.length = 0;
    await stores.legs.recordLeg('c-1', 'p3', { role: 'consulted', label: 'Bob', agentId: bob, requestedAt: new Date() });
    await stores.legs.recordLeg('c-1', 'p3', { answeredAt: new Date(1000) });
    await stores.legs.recordLeg('c-1', 'p3', { answeredAt: new Date(1000) });
    await stores.legs.recordLeg('c-1', 'p3', { endedAt: new Date(2000) });
    // The call's end (its row's change, naming the agent on it before too) shows the rewrite of the same answer was not one.
    await stores.calls.recordCallTransition('c-1', { stage: 'ended', outcome: 'completed', endedAt: new Date() });
    await waitFor(() => changes.at(-1)?.agentIds.length === 3, { what: 'the call\'s end announced' });
    expect(changes).toEqual([
      { callId: 'c-1', agentIds: [ann, ann] }, { callId: 'c-1', agentIds: [ann, ann] }, { callId: 'c-1', agentIds: [ann, ann] },
      { callId: 'c-1', agentIds: [ann, ann, ann] },
    ]);
  });

  it('given a single instance\'s call (no server), when its legs are written, then nothing is announced', async () => {
    await call('single', null);
    await stores.legs.recordLeg('single', 'p3', { role: 'consulted', label: 'Bob', agentId: bob, requestedAt: new Date() });
    await call('cluster', 'a1', bob);
    await waitFor(() => changes.length === 1, { what: 'the cluster call announced' });
    expect(changes.map((c) => c.callId)).toEqual(['cluster']);
  });

  it('given a single instance\'s call (no server), when it is recorded and changes, then nothing is announced', async () => {
    await call('single', null);
    await stores.calls.recordCallTransition('single', { stage: 'ended', outcome: 'completed', endedAt: new Date() });
    await call('cluster', 'a1');
    await waitFor(() => changes.length === 1, { what: 'the cluster call announced' });
    expect(changes.map((c) => c.callId)).toEqual(['cluster']);
  });
});
