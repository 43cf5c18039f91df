import type { DataSource } from 'typeorm';
import { CallLeg, MIGRATIONS } from '../../entities';
import type { PartyRecords } from '../../engine/call-engine-ports';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const at = (ms: number) => new Date(Date.UTC(2026, 11, 6, 10, 0, 0, ms));

describe(`a call's legs on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  /** The store as the engine sees it: a spec of the contract, not of the class. */
  let records: PartyRecords;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    records = stores.legs;
    const agent = await stores.agents.authorize({ telegramId: '100', phone: '+12025550101', by: '1' });
    await stores.calls.recordCallRequest({ id: 'call-1', agentId: agent.id, targetInput: '202 555 0123', stage: 'connected', requestedAt: at(0) });
  });

  afterEach(() => closeDatabase(dataSource));

  it('given a leg written in several patches, when read back, then each patch set only its own columns', async () => {
    await records.recordLeg('call-1', 'p3', { role: 'consulted', label: 'Bob', agentId: 7, requestedAt: at(10) });
    await records.recordLeg('call-1', 'p3', { answeredAt: at(20) });
    await records.recordLeg('call-1', 'p3', { endedAt: at(30), hangupCause: 16 });

    const [leg] = (await stores.legs.legsOf(['call-1'])).get('call-1') ?? [];
    expect(leg).toMatchObject({ callId: 'call-1', legId: 'p3', role: 'consulted', label: 'Bob', agentId: 7, number: null, hangupCause: 16 });
    expect([leg?.requestedAt, leg?.answeredAt, leg?.endedAt].map((d) => d?.getTime())).toEqual([at(10), at(20), at(30)].map((d) => d.getTime()));
  });

  it('given a leg\'s later patch arriving first, when its first arrives, then the row holds both', async () => {
    await records.recordLeg('call-1', 'target', { answeredAt: at(20) });
    await records.recordLeg('call-1', 'target', { role: 'customer', label: '+1 202-555-0123', number: '+12025550123', requestedAt: at(5) });

    const [leg] = (await stores.legs.legsOf(['call-1'])).get('call-1') ?? [];
    expect(leg).toMatchObject({ role: 'customer', number: '+12025550123' });
    expect(leg?.answeredAt?.getTime()).toBe(at(20).getTime());
  });

  it('given two patches of one leg in flight at once, then neither undoes the other', async () => {
    await records.recordLeg('call-1', 'agent', { role: 'agent', requestedAt: at(0) });
    await Promise.all([
      records.recordLeg('call-1', 'agent', { answeredAt: at(1) }),
      records.recordLeg('call-1', 'agent', { label: 'Ann', agentId: 1 }),
    ]);
    const [leg] = (await stores.legs.legsOf(['call-1'])).get('call-1') ?? [];
    expect(leg).toMatchObject({ role: 'agent', label: 'Ann', agentId: 1 });
    expect(leg?.answeredAt?.getTime()).toBe(at(1).getTime());
  });

  it('given a null in a patch, then the column is cleared, and an empty patch still makes the row', async () => {
    await records.recordLeg('call-1', 'p4', { role: 'conferenced', hangupCause: 17 });
    await records.recordLeg('call-1', 'p4', { hangupCause: null });
    await records.recordLeg('call-1', 'p5', {});
    await records.recordLeg('call-1', 'p5', {});
    const legs = (await stores.legs.legsOf(['call-1'])).get('call-1') ?? [];
    expect(legs.map((l) => [l.legId, l.role, l.hangupCause])).toEqual([['p4', 'conferenced', null], ['p5', null, null]]);
  });

  it('given legs written through the upsert, then they are stored exactly as TypeORM itself would store them', async () => {
    const fields = { role: 'customer' as const, label: "O'Brien ☎️ \"x\"", agentId: null, number: '+12025550123', requestedAt: at(1), answeredAt: at(2), endedAt: at(999), hangupCause: 16 };
    await dataSource.getRepository(CallLeg).insert({ callId: 'call-1', legId: 'typeorm', ...fields });
    await records.recordLeg('call-1', 'upsert', fields);
    const raw = await dataSource.query(`SELECT * FROM call_legs ORDER BY leg_id`) as Record<string, unknown>[];
    expect(raw).toHaveLength(2);
    expect({ ...raw[0], leg_id: 'x' }).toEqual({ ...raw[1], leg_id: 'x' });
  });

  it('given several calls, then each call\'s legs come back in the order they were asked for', async () => {
    for (const legId of ['p10', 'target', 'p3', 'agent']) await records.recordLeg('call-1', legId, { role: 'conferenced' });
    const legs = await stores.legs.legsOf(['call-1', 'call-none']);
    expect(legs.get('call-1')?.map((l) => l.legId)).toEqual(['agent', 'target', 'p3', 'p10']);
    expect(legs.get('call-none')).toBeUndefined();
    expect((await stores.legs.legsOf([])).size).toBe(0);
  });

  it('given a call transferred to another agent, then it is in their history too, once, beside the calls they placed', async () => {
    const bob = await stores.agents.authorize({ telegramId: '101', phone: '+12025550102', by: '1' });
    await stores.calls.recordCallRequest({ id: 'bob-own', agentId: bob.id, targetInput: 'x', stage: 'ended', outcome: 'completed', requestedAt: at(-1000) });
    await stores.calls.recordCallRequest({ id: 'bob-refused', agentId: bob.id, targetInput: 'x', stage: 'ended', outcome: 'refused', requestedAt: at(1000) });
    await records.recordLeg('call-1', 'agent', { role: 'agent', agentId: 1 });
    await records.recordLeg('call-1', 'p3', { role: 'consulted', agentId: bob.id, label: 'Bob' });
    await records.recordLeg('call-1', 'p4', { role: 'conferenced', agentId: bob.id, label: 'Bob' });
    await stores.calls.recordCallTransition('call-1', { stage: 'ended', outcome: 'completed' });

    expect((await stores.calls.recentCallsOfAgent(bob.id)).map((c) => c.id)).toEqual(['call-1', 'bob-own']);
    expect((await stores.calls.recentCallsOfAgent(1)).map((c) => c.id)).toEqual(['call-1']);
  });

  it('given a leg of a call that was never recorded, then the database refuses it', async () => {
    await expect(records.recordLeg('no-such-call', 'agent', { role: 'agent' })).rejects.toThrow();
  });

  it('given each step of a multi-party call, then the audit log says who did it, to whom and when', async () => {
    const when = at(500);
    await records.recordStep('call-1', { kind: 'transfer_started', mode: 'warm', legId: 'p3', label: 'Bob' }, when, '100');
    await records.recordStep('call-1', { kind: 'transfer_completed', legId: 'p3', label: 'Bob' }, when, '100');
    await records.recordStep('call-1', { kind: 'transfer_failed', legId: 'p4', label: '+1 202-555-0199' }, when, 'system');
    await records.recordStep('call-1', { kind: 'consult_ended', how: 'back', legId: 'p3' }, when, '100');
    await records.recordStep('call-1', { kind: 'party_added', legId: 'p5', label: 'Cy' }, when, '100');
    await records.recordStep('call-1', { kind: 'party_left', legId: 'p5', label: 'Cy' }, when, 'system');
    await records.recordStep('call-1', { kind: 'owner_changed', agentId: 7, legId: 'p3' }, when, 'system');

    const events = (await stores.audit.latest(10)).reverse().map((e) => [e.actor, e.action, e.subject, e.details]);
    const iso = when.toISOString();
    expect(events).toEqual([
      ['100', 'call_transfer_started', 'call-1', `mode=warm leg=p3 to=Bob at=${iso}`],
      ['100', 'call_transfer_completed', 'call-1', `leg=p3 party=Bob at=${iso}`],
      ['system', 'call_transfer_failed', 'call-1', `leg=p4 party=+1 202-555-0199 at=${iso}`],
      ['100', 'call_consult_ended', 'call-1', `how=back leg=p3 at=${iso}`],
      ['100', 'call_party_added', 'call-1', `leg=p5 party=Cy at=${iso}`],
      ['system', 'call_party_left', 'call-1', `leg=p5 party=Cy at=${iso}`],
      ['system', 'call_owner_changed', 'call-1', `agent=7 leg=p3 at=${iso}`],
    ]);
  });

  it('given a call\'s owner changes among its other steps, then they read back in the order written, each with its agent, leg and moment (what a restart re-derives transfers from)', async () => {
    await records.recordStep('call-1', { kind: 'transfer_completed', legId: 'p3', label: 'Bob' }, at(500), '100');
    await records.recordStep('call-1', { kind: 'owner_changed', agentId: 9, legId: 'p3' }, at(500), 'system');
    await records.recordStep('call-2', { kind: 'owner_changed', agentId: 5, legId: 'p3' }, at(510), 'system');
    await records.recordStep('call-1', { kind: 'owner_changed', agentId: 11, legId: 'p4' }, at(520), 'system');

    const changes = await stores.legs.ownerChangesOf(['call-1', 'no-such-call']);
    expect([...changes.keys()]).toEqual(['call-1']);
    expect(changes.get('call-1')).toEqual([{ agentId: 9, legId: 'p3', at: at(500) }, { agentId: 11, legId: 'p4', at: at(520) }]);
    expect(await stores.legs.ownerChangesOf([])).toEqual(new Map());
  });

  it('given the steps that asked for added legs, then a new owner reads back how each was asked for: a cold or warm transfer, or an added party', async () => {
    const when = at(500);
    await records.recordStep('call-1', { kind: 'transfer_started', mode: 'cold', legId: 'p3', label: 'a label with leg=p9 in it' }, when, '100');
    await records.recordStep('call-1', { kind: 'transfer_failed', legId: 'p3', label: 'x' }, when, 'system');
    await records.recordStep('call-1', { kind: 'transfer_started', mode: 'warm', legId: 'p4', label: 'Bob' }, when, '100');
    await records.recordStep('call-1', { kind: 'party_added', legId: 'p5', label: 'Cy' }, when, '100');
    await records.recordStep('call-2', { kind: 'party_added', legId: 'p3', label: 'Dee' }, when, '100');

    const asked = await stores.legs.askedAs(['call-1']);
    expect([...asked.keys()]).toEqual(['call-1']);
    expect(Object.fromEntries(asked.get('call-1')!)).toEqual({ p3: 'cold_transfer', p4: 'consult', p5: 'adding' });
  });

  it('given the legs migration reverted and applied again, then the calls are kept and legs can be written again', async () => {
    await records.recordLeg('call-1', 'agent', { role: 'agent' });
    const index = MIGRATIONS.findIndex((m) => m.name === 'CallLegs1766700000000');
    for (const _later of MIGRATIONS.slice(index)) await dataSource.undoLastMigration();
    expect(await dataSource.createQueryRunner().hasTable('call_legs')).toBe(false);
    // Read without the entity: later migrations' columns (the agent on the call) are reverted too.
    expect(await dataSource.query("SELECT stage FROM calls WHERE id = 'call-1'")).toEqual([{ stage: 'connected' }]);
    await dataSource.runMigrations();
    expect(await stores.calls.byId('call-1')).toMatchObject({ stage: 'connected' });
    await records.recordLeg('call-1', 'agent', { role: 'agent', label: 'Ann' });
    expect((await stores.legs.legsOf(['call-1'])).get('call-1')?.map((l) => l.label)).toEqual(['Ann']);
  });
});
